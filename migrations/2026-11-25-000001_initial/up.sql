-- PriceWatch initial schema. Money is NUMERIC, time is TIMESTAMPTZ (UTC).

CREATE TABLE users (
    id            UUID PRIMARY KEY,
    email         TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT users_email_lowercase CHECK (email = lower(email)),
    CONSTRAINT users_email_length CHECK (char_length(email) BETWEEN 3 AND 254)
);
CREATE UNIQUE INDEX users_email_key ON users (email);

CREATE TABLE products (
    id                   UUID PRIMARY KEY,
    -- normalised URL, shared by every user who watches the page
    url                  TEXT NOT NULL,
    host                 TEXT NOT NULL,
    title                TEXT,
    image_url            TEXT,
    last_price           NUMERIC(14, 4),
    currency             CHAR(3),
    in_stock             BOOLEAN,
    check_status         TEXT NOT NULL DEFAULT 'pending',
    check_error          TEXT,
    extraction_method    TEXT,
    consecutive_failures INTEGER NOT NULL DEFAULT 0,
    last_checked_at      TIMESTAMPTZ,
    -- shortest frequency among active watches; NULL when nobody watches it
    check_interval_hours INTEGER,
    next_check_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
    etag                 TEXT,
    last_modified        TEXT,
    -- a suspicious reading waiting for a confirming second fetch
    unconfirmed_price    NUMERIC(14, 4),
    created_at           TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at           TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT products_url_key UNIQUE (url),
    CONSTRAINT products_url_length CHECK (char_length(url) <= 2048),
    CONSTRAINT products_last_price_positive CHECK (last_price > 0),
    CONSTRAINT products_unconfirmed_price_positive CHECK (unconfirmed_price > 0),
    CONSTRAINT products_check_interval CHECK (check_interval_hours IN (6, 12, 24)),
    CONSTRAINT products_check_status CHECK (check_status IN
        ('pending', 'ok', 'unchanged', 'no_price', 'blocked', 'http_error', 'refused', 'fetch_error'))
);
CREATE INDEX products_due_idx ON products (next_check_at) WHERE check_interval_hours IS NOT NULL;

CREATE TABLE watches (
    id              UUID PRIMARY KEY,
    user_id         UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    product_id      UUID NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    target_price    NUMERIC(14, 4) NOT NULL,
    frequency_hours INTEGER NOT NULL,
    active          BOOLEAN NOT NULL DEFAULT TRUE,
    css_selector    TEXT,
    -- false after an alert, until the price rises above the target again
    armed           BOOLEAN NOT NULL DEFAULT TRUE,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT watches_user_product_key UNIQUE (user_id, product_id),
    CONSTRAINT watches_target_price_positive CHECK (target_price > 0),
    CONSTRAINT watches_frequency CHECK (frequency_hours IN (6, 12, 24)),
    CONSTRAINT watches_css_selector_length CHECK (char_length(css_selector) <= 500)
);
CREATE INDEX watches_product_idx ON watches (product_id);
CREATE INDEX watches_user_created_idx ON watches (user_id, created_at DESC);

CREATE TABLE price_history (
    id          BIGSERIAL PRIMARY KEY,
    product_id  UUID NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    -- the check job that observed it: a redelivered job never records twice
    job_id      UUID NOT NULL,
    amount      NUMERIC(14, 4) NOT NULL,
    currency    CHAR(3) NOT NULL,
    in_stock    BOOLEAN,
    observed_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT price_history_job_key UNIQUE (job_id),
    CONSTRAINT price_history_amount_positive CHECK (amount > 0)
);
CREATE INDEX price_history_product_time_idx ON price_history (product_id, observed_at DESC);

-- The email outbox: written in the same transaction as the price that caused it.
CREATE TABLE notifications (
    id               UUID PRIMARY KEY,
    watch_id         UUID NOT NULL REFERENCES watches (id) ON DELETE CASCADE,
    user_id          UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    product_id       UUID NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    price_history_id BIGINT NOT NULL REFERENCES price_history (id) ON DELETE CASCADE,
    old_price        NUMERIC(14, 4),
    new_price        NUMERIC(14, 4) NOT NULL,
    currency         CHAR(3) NOT NULL,
    target_price     NUMERIC(14, 4) NOT NULL,
    status           TEXT NOT NULL DEFAULT 'pending',
    attempts         INTEGER NOT NULL DEFAULT 0,
    last_error       TEXT,
    published_at     TIMESTAMPTZ,
    sent_at          TIMESTAMPTZ,
    created_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT notifications_watch_drop_key UNIQUE (watch_id, price_history_id),
    CONSTRAINT notifications_status CHECK (status IN ('pending', 'sending', 'sent', 'failed')),
    CONSTRAINT notifications_new_price_positive CHECK (new_price > 0)
);
CREATE INDEX notifications_user_created_idx ON notifications (user_id, created_at DESC);
CREATE INDEX notifications_unpublished_idx ON notifications (created_at)
    WHERE published_at IS NULL AND status = 'pending';

-- The scheduler's named schedules (check-prices-6h/12h/24h): last and next run.
CREATE TABLE schedules (
    name           TEXT PRIMARY KEY,
    interval_hours INTEGER NOT NULL,
    last_run_at    TIMESTAMPTZ,
    last_run_jobs  BIGINT NOT NULL DEFAULT 0,
    next_run_at    TIMESTAMPTZ
);
INSERT INTO schedules (name, interval_hours) VALUES
    ('check-prices-6h', 6), ('check-prices-12h', 12), ('check-prices-24h', 24);
