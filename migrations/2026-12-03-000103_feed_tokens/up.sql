-- A read-only token per user for the Atom feed of their alerts
-- (/feeds/{token}.atom), for feed readers and home automation. Only its
-- SHA-256 is kept; rotating replaces the row, so the old URL stops at once.
CREATE TABLE feed_tokens (
    user_id    UUID PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    token_hash BYTEA NOT NULL,
    prefix     TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT feed_tokens_hash_length CHECK (octet_length(token_hash) = 32)
);
CREATE UNIQUE INDEX feed_tokens_hash_key ON feed_tokens (token_hash);
