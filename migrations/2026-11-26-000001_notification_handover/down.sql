ALTER TABLE notifications DROP COLUMN handed_over_at;
