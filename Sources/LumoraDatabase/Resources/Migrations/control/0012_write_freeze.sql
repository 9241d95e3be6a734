-- A store's writes frozen for a moment, by the database itself (a move between databases
-- freezes before its last catch-up): the store role loses INSERT, UPDATE and DELETE on its
-- schema's tables, so a write fails with "permission denied" whatever the cell does, and the
-- cell, seeing the privilege gone, answers 503 with Retry-After. Reads go on.

-- When each schema was last frozen and thawed: a write refused a moment before a thaw is
-- looked at just after it, and must still read as refused by the freeze.
CREATE TABLE lumora.write_freezes (
    schema_name text PRIMARY KEY,
    frozen_at   timestamptz NOT NULL,
    thawed_at   timestamptz
);

CREATE FUNCTION lumora.freeze_store_writes(schema_name text) RETURNS void
    LANGUAGE plpgsql
    AS $$
BEGIN
    INSERT INTO lumora.write_freezes AS f (schema_name, frozen_at) VALUES (freeze_store_writes.schema_name, now())
        ON CONFLICT ON CONSTRAINT write_freezes_pkey DO UPDATE SET frozen_at = now(), thawed_at = NULL;
    EXECUTE format('REVOKE INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA %I FROM %I', schema_name, lumora.store_role(schema_name));
END $$;

CREATE FUNCTION lumora.thaw_store_writes(schema_name text) RETURNS void
    LANGUAGE plpgsql
    AS $$
BEGIN
    EXECUTE format('GRANT INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA %I TO %I', schema_name, lumora.store_role(schema_name));
    UPDATE lumora.write_freezes f SET thawed_at = now() WHERE f.schema_name = thaw_store_writes.schema_name;
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

-- Whether a store's writes are frozen, or were until a few seconds ago (what a cell asks after
-- a "permission denied": the refusal may have come just before a thaw). As the owner: the
-- cell's own role may not even look up a store schema's tables.
CREATE FUNCTION lumora.store_writes_frozen(schema_name text) RETURNS boolean
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog
    AS $$
    SELECT NOT has_table_privilege(lumora.store_role(schema_name), format('%I.settings', schema_name), 'UPDATE')
        OR EXISTS (SELECT 1 FROM lumora.write_freezes f
                   WHERE f.schema_name = store_writes_frozen.schema_name AND f.thawed_at > now() - interval '10 seconds')
    $$;

REVOKE EXECUTE ON FUNCTION lumora.freeze_store_writes(text), lumora.thaw_store_writes(text), lumora.store_writers_done(text) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION lumora.store_writes_frozen(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION lumora.store_writes_frozen(text) TO lumora_cell;
