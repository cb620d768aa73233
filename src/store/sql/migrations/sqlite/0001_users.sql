-- Users and their credentials (SQLite; PostgreSQL gets its own migration set).
CREATE TABLE users (
    -- AUTOINCREMENT: an id is never handed out again after a delete, so a session that
    -- outlived its user can never resolve to a newer one.
    id                    INTEGER PRIMARY KEY AUTOINCREMENT,
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
