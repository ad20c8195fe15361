-- One-click unsubscribe (RFC 8058): every alert email links to
-- /unsubscribe/{token}, which pauses the watch without a sign-in, so the token
-- is the credential. One per watch: 'pwu_' and the hex of two version 4 UUIDs
-- (244 bits from PostgreSQL's strong random source). Kept in the clear, unlike
-- API tokens: each email must carry it again, and all it can do is pause one
-- watch. A volatile default gives every existing row a token of its own.
ALTER TABLE watches
    ADD COLUMN unsubscribe_token TEXT NOT NULL
        DEFAULT 'pwu_' || replace(gen_random_uuid()::text || gen_random_uuid()::text, '-', '');
CREATE UNIQUE INDEX watches_unsubscribe_token_key ON watches (unsubscribe_token);
