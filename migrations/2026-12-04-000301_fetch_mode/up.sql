-- Some shops build their pages with JavaScript: such a page has no price
-- until a browser runs its scripts. A watch says how its page is fetched
-- (auto: HTTP first, the browser when the page looks script-built and has
-- no price; http; browser). The product's mode is the strongest of its
-- active watches' (browser over auto over http), kept by a trigger. The
-- product remembers that it needs the browser, and how its last check
-- fetched the page.
ALTER TABLE watches ADD COLUMN fetch_mode TEXT NOT NULL DEFAULT 'auto'
    CONSTRAINT watches_fetch_mode CHECK (fetch_mode IN ('auto', 'http', 'browser'));
ALTER TABLE products ADD COLUMN fetch_mode TEXT NOT NULL DEFAULT 'auto'
    CONSTRAINT products_fetch_mode CHECK (fetch_mode IN ('auto', 'http', 'browser'));
ALTER TABLE products ADD COLUMN needs_browser BOOLEAN NOT NULL DEFAULT false;
ALTER TABLE products ADD COLUMN fetched_with TEXT
    CONSTRAINT products_fetched_with CHECK (fetched_with IN ('http', 'browser'));

CREATE FUNCTION products_refresh_fetch_mode(product UUID) RETURNS void
LANGUAGE sql AS $$
    UPDATE products p SET fetch_mode = COALESCE(
        (SELECT CASE WHEN bool_or(w.fetch_mode = 'browser') THEN 'browser'
                     WHEN bool_and(w.fetch_mode = 'http') THEN 'http'
                     ELSE 'auto' END
         FROM watches w WHERE w.product_id = p.id AND w.active),
        'auto')
    WHERE p.id = product
$$;

CREATE FUNCTION watches_fetch_mode_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        PERFORM products_refresh_fetch_mode(OLD.product_id);
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') AND (TG_OP = 'INSERT' OR NEW.product_id <> OLD.product_id) THEN
        PERFORM products_refresh_fetch_mode(NEW.product_id);
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER watches_fetch_mode
    AFTER INSERT OR DELETE OR UPDATE OF fetch_mode, active, product_id ON watches
    FOR EACH ROW EXECUTE FUNCTION watches_fetch_mode_changed();
