DROP TRIGGER watches_fetch_mode ON watches;
DROP FUNCTION watches_fetch_mode_changed();
DROP FUNCTION products_refresh_fetch_mode(UUID);
ALTER TABLE products DROP COLUMN fetched_with;
ALTER TABLE products DROP COLUMN needs_browser;
ALTER TABLE products DROP COLUMN fetch_mode;
ALTER TABLE watches DROP COLUMN fetch_mode;
