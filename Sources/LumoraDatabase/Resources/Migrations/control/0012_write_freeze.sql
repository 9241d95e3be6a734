-- A store's writes frozen for a moment, by the database itself (a move between databases
-- freezes before its last catch-up): the store role loses INSERT, UPDATE and DELETE on its
-- schema's tables, so a write fails with "permission denied" whatever the cell does, and the
-- cell, seeing the privilege gone, answers 503 with Retry-After. Reads go on.

CREATE FUNCTION lumora.freeze_store_writes(schema_name text) RETURNS void
    LANGUAGE plpgsql
    AS $$
BEGIN
    EXECUTE format('REVOKE INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA %I FROM %I', schema_name, lumora.store_role(schema_name));
END $$;

CREATE FUNCTION lumora.thaw_store_writes(schema_name text) RETURNS void
    LANGUAGE plpgsql
    AS $$
BEGIN
    EXECUTE format('GRANT INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA %I TO %I', schema_name, lumora.store_role(schema_name));
END $$;

-- True once no transaction that wrote to the schema is still open: a SHARE lock on each table
-- is refused (NOWAIT) while a writer holds its ROW EXCLUSIVE one. Taken and given back at once,
-- never waited for, so it never holds up a writer nor deadlocks with one; the caller asks
-- again. With the writes frozen no new writer starts, so the answer comes.
CREATE FUNCTION lumora.store_writers_done(schema_name text) RETURNS boolean
    LANGUAGE plpgsql
    AS $$
DECLARE
    t record;
BEGIN
    FOR t IN SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE n.nspname = schema_name AND c.relkind IN ('r', 'p') ORDER BY c.relname LOOP
        EXECUTE format('LOCK TABLE %I.%I IN SHARE MODE NOWAIT', schema_name, t.relname);
    END LOOP;
    RETURN true;
EXCEPTION WHEN lock_not_available THEN
    RETURN false;
END $$;

-- Whether a store's writes are frozen (what a cell asks after a "permission denied"). As the
-- owner: the cell's own role may not even look up a store schema's tables.
CREATE FUNCTION lumora.store_writes_frozen(schema_name text) RETURNS boolean
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog
    AS $$ SELECT NOT has_table_privilege(lumora.store_role(schema_name), format('%I.settings', schema_name), 'UPDATE') $$;

REVOKE EXECUTE ON FUNCTION lumora.freeze_store_writes(text), lumora.thaw_store_writes(text), lumora.store_writers_done(text) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION lumora.store_writes_frozen(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION lumora.store_writes_frozen(text) TO lumora_cell;
