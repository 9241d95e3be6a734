-- A store's schema migrated while its writes are frozen (a release reaching a store in the
-- last moment of a move) is granted its tables again by prepare_store_role, which ran after
-- every migration and gave back INSERT, UPDATE and DELETE: the freeze would silently end, and
-- writes land on the source after the move's last catch-up. Now a frozen schema's role gets
-- reads only; the thaw grants the writes on every table, the new ones included.
CREATE OR REPLACE FUNCTION lumora.prepare_store_role(schema_name text) RETURNS void
    LANGUAGE plpgsql
    AS $$
DECLARE
    role_name text := lumora.store_role(schema_name);
    frozen boolean := EXISTS (SELECT 1 FROM lumora.write_freezes f
                              WHERE f.schema_name = prepare_store_role.schema_name AND f.thawed_at IS NULL);
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = role_name) THEN
        EXECUTE format('CREATE ROLE %I NOLOGIN NOINHERIT', role_name);
        EXECUTE format('GRANT %I TO lumora_cell', role_name);
        IF NOT (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
            -- The owner may enter a store's role too (maintenance through TenantScope).
            EXECUTE format('GRANT %I TO %I', role_name, current_user);
        END IF;
    END IF;
    EXECUTE format('GRANT USAGE ON SCHEMA %I TO %I', schema_name, role_name);
    EXECUTE format('GRANT SELECT ON ALL TABLES IN SCHEMA %I TO %I', schema_name, role_name);
    IF NOT frozen THEN
        EXECUTE format('GRANT INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA %I TO %I', schema_name, role_name);
    END IF;
    EXECUTE format('GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA %I TO %I', schema_name, role_name);
END $$;
