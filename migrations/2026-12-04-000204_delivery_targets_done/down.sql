ALTER TABLE channel_tests DROP COLUMN targets_done;
ALTER TABLE deliveries DROP COLUMN targets_done;
