-- Personal API tokens, for scripts: long-lived, scoped (read, or read and
-- write), revocable, optionally expiring. Only a SHA-256 of the token is kept
-- (the token is 256 random bits, so a plain hash is enough), and a short
-- prefix to tell tokens apart in a list.
CREATE TABLE api_tokens (
    id           UUID PRIMARY KEY,
    user_id      UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    token_hash   BYTEA NOT NULL,
    prefix       TEXT NOT NULL,
    scopes       TEXT[] NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    expires_at   TIMESTAMPTZ,
    last_used_at TIMESTAMPTZ,
    CONSTRAINT api_tokens_name_length CHECK (char_length(name) BETWEEN 1 AND 100),
    CONSTRAINT api_tokens_hash_length CHECK (octet_length(token_hash) = 32),
    CONSTRAINT api_tokens_scopes CHECK (
        cardinality(scopes) BETWEEN 1 AND 2 AND scopes <@ ARRAY['read', 'write']::TEXT[])
);
CREATE UNIQUE INDEX api_tokens_hash_key ON api_tokens (token_hash);
CREATE INDEX api_tokens_user_idx ON api_tokens (user_id, created_at DESC);
