-- "Check now" on a product: the scheduler publishes it on its next tick even
-- when every watch on it is paused (such products have no check interval and
-- are otherwise never due). Cleared when the scheduler claims it.
ALTER TABLE products ADD COLUMN check_requested_at TIMESTAMPTZ;
CREATE INDEX products_check_requested_idx ON products (check_requested_at)
    WHERE check_requested_at IS NOT NULL;
