ALTER TABLE watches DROP COLUMN unsubscribe_token;
