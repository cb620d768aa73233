-- The language the account holder chose in the portal's picker (a tag, empty: none chosen):
-- their mails are written in it, and a new browser gets it at sign-in.
ALTER TABLE users ADD COLUMN language TEXT NOT NULL DEFAULT '';
