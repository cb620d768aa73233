-- When the password was last set: a password someone else set (must_change_password) works
-- for a limited time only (docs/security.md#admin-reset).
ALTER TABLE users ADD COLUMN password_set_at BIGINT NOT NULL DEFAULT 0;
UPDATE users SET password_set_at = updated_at;
