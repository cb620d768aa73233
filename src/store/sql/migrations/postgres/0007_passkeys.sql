-- Passkeys (WebAuthn credentials, docs/passkeys.md). A user's handle is random (a UUID drawn at
-- the first registration), never the username or the row id: authenticators keep it and hand
-- it back in a username-less sign-in, and it must reveal nothing and survive a rename.
ALTER TABLE users ADD COLUMN passkey_handle TEXT;
CREATE UNIQUE INDEX users_passkey_handle ON users (passkey_handle);

-- One row per credential. The credential id (base64url) is unique across all users, so an
-- authenticator's credential can never be registered to two accounts. `credential` is the
-- library's record as JSON: public key, signature counter and backup flags, which every
-- sign-in updates. Public keys are not secrets, so nothing here is sealed.
CREATE TABLE passkeys (
    credential_id TEXT   PRIMARY KEY,
    user_id       BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name          TEXT   NOT NULL,
    credential    TEXT   NOT NULL,
    created_at    BIGINT NOT NULL,
    last_used_at  BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX passkeys_user ON passkeys (user_id);
