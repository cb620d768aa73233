-- Two-factor authentication. Secrets are stored sealed (AES-256-GCM bound to the user id,
-- domain::secretbox); recovery codes only as SHA-256 of 120-bit codes (docs/security.md#recovery-codes, #secrets-at-rest).
ALTER TABLE users ADD COLUMN totp_secret TEXT;
-- A secret shown during enrolment, active only once a code from it is confirmed.
ALTER TABLE users ADD COLUMN totp_pending TEXT;
-- The last TOTP step accepted: a code is good once per account (RFC 6238 §5.2). Claimed with a
-- conditional UPDATE, so concurrent requests and several instances cannot both win.
ALTER TABLE users ADD COLUMN totp_last_step BIGINT NOT NULL DEFAULT 0;

CREATE TABLE recovery_codes (
    user_id    BIGINT  NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    code_hash  TEXT    NOT NULL,
    used_at    BIGINT,
    PRIMARY KEY (user_id, code_hash)
);
