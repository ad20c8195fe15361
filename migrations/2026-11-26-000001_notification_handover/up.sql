-- When the notifier wrote the final "." of an email's DATA to the SMTP server
-- (set while the row is 'sending'). From then on the server may keep the email
-- whatever happens to the notifier: a 'sending' row whose sender died after
-- this point is recorded as sent, never emailed a second time.
ALTER TABLE notifications ADD COLUMN handed_over_at TIMESTAMPTZ;
