-- A user's own language and time zone, saved by the settings page or the
-- REST API (PATCH /api/v1/me): the pages they see signed in on any browser,
-- and their alert and password reset emails, follow them. NULL follows the
-- browser (the pw_lang/pw_tz cookies, Accept-Language), and an email is in
-- English, with times in UTC. Which languages exist is the catalogue's
-- business (crates/i18n/locales/): the column takes any language code, so a
-- new language needs no migration; the api accepts only those it has.
ALTER TABLE users
    ADD COLUMN language TEXT,
    ADD COLUMN time_zone TEXT,
    ADD CONSTRAINT users_language_code CHECK (language ~ '^[a-z]{2,3}$'),
    ADD CONSTRAINT users_time_zone_length CHECK (char_length(time_zone) BETWEEN 1 AND 64);
