-- "Send a test" of a channel: a test message the notifier sends to one
-- channel, with no alert, watch or price behind it. A row moves like a
-- delivery: pending -> sending (claimed_at set) -> sent, or back to pending
-- with next_attempt_at later, or failed. Its id is stable across retries
-- (a webhook's webhook-id). At most one test of a channel waits or is sent
-- at a time: asking again meanwhile gives the same row.
CREATE TABLE channel_tests (
    id              UUID PRIMARY KEY,
    channel_id      UUID NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
    status          TEXT NOT NULL DEFAULT 'pending',
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    claimed_at      TIMESTAMPTZ,
    last_error      TEXT,
    sent_at         TIMESTAMPTZ,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT channel_tests_status CHECK (status IN ('pending', 'sending', 'sent', 'failed'))
);
CREATE UNIQUE INDEX channel_tests_open_idx ON channel_tests (channel_id)
    WHERE status IN ('pending', 'sending');
CREATE INDEX channel_tests_channel_idx ON channel_tests (channel_id, created_at);
CREATE INDEX channel_tests_due_idx ON channel_tests (next_attempt_at)
    WHERE status IN ('pending', 'sending');
