-- Password reset tokens (docs/security.md#reset-tokens): only SHA-256 of a 256-bit token is stored, bound to one
-- user; a newer request or a completed reset deletes the user's older tokens.
CREATE TABLE password_resets (
    token_hash  TEXT    PRIMARY KEY,
    user_id     BIGINT  NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at  BIGINT  NOT NULL,
    expires_at  BIGINT  NOT NULL
);
CREATE INDEX password_resets_user ON password_resets (user_id);
