-- Store admin tokens are kept only as SHA-256 hashes (the token itself is shown once).
ALTER TABLE lumora.stores ADD COLUMN admin_token_hash text;

-- Every change to a store, its domains or its cell placement is announced on the
-- 'lumora_control' channel, whoever makes it (the manager, an operator with psql): edges and
-- cells keep their routing tables in memory and reload what the payload names. NOTIFY is
-- transactional, so listeners hear of a change only once it is committed.
CREATE FUNCTION lumora.notify_store_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        PERFORM pg_notify('lumora_control', 'store:' || OLD.slug);
    ELSE
        PERFORM pg_notify('lumora_control', 'store:' || NEW.slug);
        IF TG_OP = 'UPDATE' AND OLD.slug <> NEW.slug THEN
            PERFORM pg_notify('lumora_control', 'store:' || OLD.slug);
        END IF;
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER stores_notify AFTER INSERT OR UPDATE OR DELETE ON lumora.stores
    FOR EACH ROW EXECUTE FUNCTION lumora.notify_store_change();

CREATE FUNCTION lumora.notify_domain_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        PERFORM pg_notify('lumora_control', 'store:' || OLD.store_slug);
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        PERFORM pg_notify('lumora_control', 'store:' || NEW.store_slug);
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER domains_notify AFTER INSERT OR UPDATE OR DELETE ON lumora.domains
    FOR EACH ROW EXECUTE FUNCTION lumora.notify_domain_change();

CREATE FUNCTION lumora.notify_cell_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('lumora_control', 'cell:' || COALESCE(NEW.id, OLD.id));
    RETURN NULL;
END $$;

CREATE TRIGGER cells_notify AFTER INSERT OR UPDATE OR DELETE ON lumora.cells
    FOR EACH ROW EXECUTE FUNCTION lumora.notify_cell_change();
