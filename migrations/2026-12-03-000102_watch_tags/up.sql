-- Watches carry tags, so that someone with hundreds of watches can group
-- them, list one group, and pause, resume or delete it in one request. Tags
-- are stored normalised (lower-case, sorted, no duplicates) by the api.
ALTER TABLE watches ADD COLUMN tags TEXT[] NOT NULL DEFAULT '{}';
ALTER TABLE watches ADD CONSTRAINT watches_tags_count CHECK (cardinality(tags) <= 20);
CREATE INDEX watches_tags_idx ON watches USING GIN (tags);
