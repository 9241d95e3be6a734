-- Any change to what a storefront shows — catalog, stock, settings — is announced on the
-- 'lumora_catalog' channel with the schema's name, so cells and edges drop that store's cached
-- pages and responses. Catalog edits also bump the store's catalog version. Stock changes
-- (every checkout) only notify: bumping would make all of a store's checkouts queue on the
-- settings row. Statement-level triggers; NOTIFY folds identical payloads in a transaction.
-- The schema comes from TG_TABLE_SCHEMA (never from search_path), so the functions work
-- however they are called, and keep working after a pool schema is renamed.

CREATE FUNCTION catalog_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format('UPDATE %I.settings SET catalog_version = catalog_version + 1', TG_TABLE_SCHEMA);
    PERFORM pg_notify('lumora_catalog', TG_TABLE_SCHEMA);
    RETURN NULL;
END $$;

CREATE FUNCTION storefront_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('lumora_catalog', TG_TABLE_SCHEMA);
    RETURN NULL;
END $$;

CREATE TRIGGER products_changed AFTER INSERT OR UPDATE OR DELETE ON products
    FOR EACH STATEMENT EXECUTE FUNCTION catalog_changed();
CREATE TRIGGER variants_changed AFTER INSERT OR UPDATE OR DELETE ON variants
    FOR EACH STATEMENT EXECUTE FUNCTION catalog_changed();
CREATE TRIGGER inventory_changed AFTER INSERT OR UPDATE OR DELETE ON inventory
    FOR EACH STATEMENT EXECUTE FUNCTION storefront_changed();
CREATE TRIGGER collections_changed AFTER INSERT OR UPDATE OR DELETE ON collections
    FOR EACH STATEMENT EXECUTE FUNCTION catalog_changed();
CREATE TRIGGER settings_changed AFTER UPDATE ON settings
    FOR EACH STATEMENT EXECUTE FUNCTION storefront_changed();
