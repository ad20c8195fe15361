DROP TABLE deliveries;
DROP TABLE watch_channels;
DROP TABLE channels;
UPDATE notifications SET status = 'sent' WHERE status = 'delivering';
ALTER TABLE notifications
    DROP CONSTRAINT notifications_status,
    ADD CONSTRAINT notifications_status CHECK (status IN ('pending', 'sending', 'sent', 'failed')),
    DROP COLUMN rules;
ALTER TABLE watches
    DROP CONSTRAINT watches_cooldown,
    DROP CONSTRAINT watches_rule_state_array,
    DROP CONSTRAINT watches_rules_array,
    DROP COLUMN last_alert_at,
    DROP COLUMN cooldown_minutes,
    DROP COLUMN rule_state,
    DROP COLUMN rules;
