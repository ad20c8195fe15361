-- The targets (ntfy topics, Telegram chats, Matrix rooms: indices in the
-- channel URL's order) a delivery or channel test already reached, so that a
-- retry after a partial failure sends only to the others.
ALTER TABLE deliveries ADD COLUMN targets_done INTEGER[] NOT NULL DEFAULT '{}';
ALTER TABLE channel_tests ADD COLUMN targets_done INTEGER[] NOT NULL DEFAULT '{}';
