-- Single-use password reset links sent by email from the web app. Only the
-- SHA-256 of the token is kept; using a link deletes its row, and so does its
-- expiry (expired rows are ignored and swept when the user asks again).
CREATE TABLE password_resets (
    token_hash BYTEA PRIMARY KEY,
    user_id    UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    expires_at TIMESTAMPTZ NOT NULL,
    CONSTRAINT password_resets_hash_length CHECK (octet_length(token_hash) = 32)
);
CREATE INDEX password_resets_user_idx ON password_resets (user_id);
