-- Users and their credentials. Portable SQL: runs on SQLite and PostgreSQL.
CREATE TABLE users (
    id                    INTEGER PRIMARY KEY,
    username              TEXT    NOT NULL UNIQUE,
    display_name          TEXT    NOT NULL,
    email                 TEXT    NOT NULL DEFAULT '',
    groups                TEXT    NOT NULL DEFAULT '',
    disabled              BOOLEAN NOT NULL DEFAULT FALSE,
    must_change_password  BOOLEAN NOT NULL DEFAULT FALSE,
    password_hash         TEXT    NOT NULL,
    -- Bumped whenever existing sessions must end (password set, disabled): sessions carry the
    -- epoch they started in, so every instance ends them even without a shared session store.
    session_epoch         BIGINT  NOT NULL DEFAULT 0,
    created_at            BIGINT  NOT NULL,
    updated_at            BIGINT  NOT NULL
);
