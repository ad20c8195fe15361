-- Alerts beyond the target price, delivered beyond email. A watch gains its
-- rules (NULL: the target rule alone, as before), their state, a cooldown
-- and the time of its last alert. A user's channels (ntfy, Telegram, a
-- webhook…) keep their URL sealed (ChaCha20-Poly1305, CHANNEL_SECRET_KEY).
-- A watch may name some of them (none named: all of them). An alert for a
-- user with channels gets one delivery per channel, written in the check's
-- transaction: the deliveries are the notifier's outbox, and a delivery's id
-- stays the same across retries (a webhook's webhook-id). An alert for a user
-- without channels is emailed to the account's address, as before.

ALTER TABLE watches
    ADD COLUMN rules            JSONB,
    ADD COLUMN rule_state       JSONB NOT NULL DEFAULT '[]',
    ADD COLUMN cooldown_minutes INTEGER NOT NULL DEFAULT 0,
    ADD COLUMN last_alert_at    TIMESTAMPTZ,
    ADD CONSTRAINT watches_rules_array
        CHECK (rules IS NULL OR jsonb_typeof(rules) = 'array'),
    ADD CONSTRAINT watches_rule_state_array CHECK (jsonb_typeof(rule_state) = 'array'),
    ADD CONSTRAINT watches_cooldown CHECK (cooldown_minutes BETWEEN 0 AND 10080);

-- The rules that fired (their kinds); older alerts were all target alerts.
-- 'delivering': the alert goes to the user's channels, each delivery with
-- its own status; it becomes 'sent' (one delivery or more sent) or 'failed'
-- when every delivery is finished.
ALTER TABLE notifications
    ADD COLUMN rules TEXT[] NOT NULL DEFAULT '{below_target}',
    DROP CONSTRAINT notifications_status,
    ADD CONSTRAINT notifications_status
        CHECK (status IN ('pending', 'sending', 'sent', 'failed', 'delivering'));

CREATE TABLE channels (
    id           UUID PRIMARY KEY,
    user_id      UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind         TEXT NOT NULL,
    name         TEXT NOT NULL,
    -- the URL with every secret masked: what the api shows
    redacted_url TEXT NOT NULL,
    -- the whole URL and a webhook's signing secret, sealed with the channel id
    -- as associated data: version byte, 12-byte nonce, ciphertext and tag
    sealed       BYTEA NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT channels_kind CHECK (kind IN
        ('email', 'ntfy', 'gotify', 'telegram', 'discord', 'slack', 'pushover', 'matrix', 'webhook')),
    CONSTRAINT channels_name_length CHECK (char_length(name) BETWEEN 1 AND 100)
);
CREATE INDEX channels_user_created_idx ON channels (user_id, created_at);

CREATE TABLE watch_channels (
    watch_id   UUID NOT NULL REFERENCES watches (id) ON DELETE CASCADE,
    channel_id UUID NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
    PRIMARY KEY (watch_id, channel_id)
);
CREATE INDEX watch_channels_channel_idx ON watch_channels (channel_id);

CREATE TABLE deliveries (
    -- stable across retries: the webhook's webhook-id, Matrix's transaction id
    id              UUID PRIMARY KEY,
    notification_id UUID NOT NULL REFERENCES notifications (id) ON DELETE CASCADE,
    channel_id      UUID NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
    status          TEXT NOT NULL DEFAULT 'pending',
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    -- while 'sending': when the notifier claimed it
    claimed_at      TIMESTAMPTZ,
    last_error      TEXT,
    sent_at         TIMESTAMPTZ,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT deliveries_notification_channel_key UNIQUE (notification_id, channel_id),
    CONSTRAINT deliveries_status CHECK (status IN ('pending', 'sending', 'sent', 'failed'))
);
CREATE INDEX deliveries_channel_idx ON deliveries (channel_id);
CREATE INDEX deliveries_due_idx ON deliveries (next_attempt_at)
    WHERE status IN ('pending', 'sending');
