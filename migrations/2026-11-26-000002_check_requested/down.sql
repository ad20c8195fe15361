DROP INDEX products_check_requested_idx;
ALTER TABLE products DROP COLUMN check_requested_at;
