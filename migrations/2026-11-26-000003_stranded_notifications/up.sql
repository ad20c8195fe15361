-- The outbox relay also looks for notifications whose message was lost after
-- it was published (dead-lettered at the delivery limit, purged): unfinished
-- rows by the time of their last publish. Few rows are unfinished at a time.
CREATE INDEX notifications_unfinished_idx ON notifications (published_at)
    WHERE status IN ('pending', 'sending');
