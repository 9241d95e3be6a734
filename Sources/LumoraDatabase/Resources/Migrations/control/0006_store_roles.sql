-- The database holds the store boundary too: one NOLOGIN role per store schema, with
-- privileges on that schema only. Cells log in as lumora_cell, which can do nothing itself
-- (NOINHERIT) but become a store role; every store transaction does that first, transaction-
-- locally, so SQL that names another store's schema fails with "permission denied" even if the
-- application forgot to scope it. The edge logs in as lumora_edge, which reads the routing
-- table and nothing else. Whoever runs migrations (the manager's owner role) owns everything.
--
-- Role names are cluster-wide, schemas are per database: a store role is named
-- <schema>_<first 8 hex of sha256(database name)>, so two databases on one server (the tests',
-- or a platform's several) never share one.

-- Made here if the server's administrator has not (they give them LOGIN and a password:
-- docs/DEPLOY.md); two databases migrating at once may race to make them.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'lumora_cell') THEN
        CREATE ROLE lumora_cell NOLOGIN NOINHERIT;
    END IF;
EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
END $$;

DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'lumora_edge') THEN
        CREATE ROLE lumora_edge NOLOGIN;
    END IF;
EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
END $$;

CREATE FUNCTION lumora.store_role(schema_name text) RETURNS text
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT schema_name || '_' || substr(encode(sha256(convert_to(current_database(), 'UTF8')), 'hex'), 1, 8) $$;

-- Makes (if missing) the role of a store schema and grants it the schema's tables and
-- sequences; run after every migration of the schema, so new tables are granted too.
CREATE FUNCTION lumora.prepare_store_role(schema_name text) RETURNS void
    LANGUAGE plpgsql
    AS $$
DECLARE
    role_name text := lumora.store_role(schema_name);
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
    EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA %I TO %I', schema_name, role_name);
    EXECUTE format('GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA %I TO %I', schema_name, role_name);
END $$;

CREATE FUNCTION lumora.rename_store_role(old_schema text, new_schema text) RETURNS void
    LANGUAGE plpgsql
    AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = lumora.store_role(old_schema)) THEN
        EXECUTE format('ALTER ROLE %I RENAME TO %I', lumora.store_role(old_schema), lumora.store_role(new_schema));
    ELSE
        PERFORM lumora.prepare_store_role(new_schema);
    END IF;
END $$;

-- After the schema is dropped (which drops every privilege the role held).
CREATE FUNCTION lumora.drop_store_role(schema_name text) RETURNS void
    LANGUAGE plpgsql
    AS $$
BEGIN
    EXECUTE format('DROP ROLE IF EXISTS %I', lumora.store_role(schema_name));
END $$;

-- What a store's transaction may reach outside its own schema: only this.
CREATE SCHEMA lumora_store;
GRANT USAGE ON SCHEMA lumora_store TO PUBLIC;

-- The store's name is kept in the control schema too (the edge shows it before asking a cell).
-- A store role cannot write there; this function renames the store whose role is the current
-- one (`role` is the setting TenantScope made; SECURITY DEFINER does not change it), and no
-- other.
CREATE FUNCTION lumora_store.rename_own_store(new_name text) RETURNS void
    LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog
    AS $$
    UPDATE lumora.stores s SET name = new_name, updated_at = now()
    FROM lumora.store_schemas ss
    WHERE ss.store_slug = s.slug AND lumora.store_role(ss.schema_name) = current_setting('role')
    $$;

-- The routing table's reads: cells and edges see what they route by, and nothing else
-- (only cells see the admin token hashes they check).
GRANT USAGE ON SCHEMA lumora TO lumora_cell, lumora_edge;
GRANT EXECUTE ON FUNCTION lumora.store_role(text) TO lumora_cell;
GRANT SELECT (slug, name, plan, status, cell_id, currency, admin_token_hash) ON lumora.stores TO lumora_cell;
GRANT SELECT (slug, name, plan, status, cell_id, currency) ON lumora.stores TO lumora_edge;
GRANT SELECT (hostname, store_slug, kind, is_primary, status) ON lumora.domains TO lumora_cell, lumora_edge;
GRANT SELECT (id, kind, endpoint, version, status) ON lumora.cells TO lumora_cell, lumora_edge;
REVOKE EXECUTE ON FUNCTION lumora.prepare_store_role(text), lumora.rename_store_role(text, text),
    lumora.drop_store_role(text) FROM PUBLIC;

-- No temporary tables for anyone but the owner (only the database's owner may say so).
DO $$
BEGIN
    EXECUTE format('REVOKE TEMPORARY ON DATABASE %I FROM PUBLIC', current_database());
EXCEPTION WHEN insufficient_privilege THEN
    RAISE NOTICE 'not the database owner: temporary tables stay allowed';
END $$;

-- Every store schema made before this migration gets its role.
SELECT lumora.prepare_store_role(schema_name) FROM lumora.store_schemas ORDER BY schema_name;
