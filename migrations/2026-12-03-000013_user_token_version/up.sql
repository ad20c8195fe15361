-- Bumped when a user's password changes: access tokens carry the version
-- they were issued under, and an older one stops working.
ALTER TABLE users ADD COLUMN token_version INTEGER NOT NULL DEFAULT 0;
