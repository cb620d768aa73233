-- Remembered devices ("trust this device"): a browser holding a signed token skips the code
-- step until expires_at. Only SHA-256 of the token is stored; deleting the row revokes it.
CREATE TABLE remembered_devices (
    id_hash      TEXT    PRIMARY KEY,
    user_id      INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    label        TEXT    NOT NULL,
    ip           TEXT    NOT NULL,
    created_at   BIGINT  NOT NULL,
    expires_at   BIGINT  NOT NULL,
    last_used_at BIGINT  NOT NULL
);
CREATE INDEX remembered_devices_user ON remembered_devices (user_id);
