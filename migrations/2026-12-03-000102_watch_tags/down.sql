DROP INDEX watches_tags_idx;
ALTER TABLE watches DROP COLUMN tags;
