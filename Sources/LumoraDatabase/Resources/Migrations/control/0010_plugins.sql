-- Private plugins (#17; docs/PLUGINS.md): WebAssembly modules a store runs at fixed points of
-- checkout. The manager validates and compiles a module before it is stored here; cells read
-- the enabled ones of the stores they serve and are told of changes on 'lumora_plugins'.

CREATE TABLE lumora.plugins (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    store_slug  text NOT NULL REFERENCES lumora.stores (slug) ON DELETE CASCADE,
    name        text NOT NULL CHECK (name ~ '^[a-z0-9][a-z0-9-]{0,62}$'),
    point       text NOT NULL
                CHECK (point IN ('cart.discounts', 'checkout.validate', 'shipping.rates', 'order.created')),
    -- The input schema the module was built for; a cell runs it only if it speaks that version.
    api_version integer NOT NULL CHECK (api_version >= 1),
    -- 1 at install, +1 each time a module is installed again under the same name.
    version     integer NOT NULL DEFAULT 1 CHECK (version >= 1),
    sha256      text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    module      bytea NOT NULL CHECK (octet_length(module) BETWEEN 8 AND 4194304),
    enabled     boolean NOT NULL DEFAULT true,
    -- What checkout does when the plugin fails: go on without it, or (validators only) refuse.
    on_failure  text NOT NULL DEFAULT 'skip' CHECK (on_failure IN ('skip', 'block')),
    -- The operator let this store's plugin run on a shared cell (under its tighter limits).
    -- Without it a shared cell skips the plugin: an enterprise store moved to a shared plan
    -- does not take its plugins to its neighbours unasked.
    runs_on_shared_cells boolean NOT NULL DEFAULT false,
    installed_at timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (store_slug, name),
    CHECK (on_failure = 'skip' OR point = 'checkout.validate')
);

CREATE INDEX plugins_store_point ON lumora.plugins (store_slug, point) WHERE enabled;

CREATE FUNCTION lumora.notify_plugins() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    PERFORM pg_notify('lumora_plugins', COALESCE(NEW.store_slug, OLD.store_slug));
    RETURN NULL;
END $$;

CREATE TRIGGER plugins_changed AFTER INSERT OR UPDATE OR DELETE ON lumora.plugins
    FOR EACH ROW EXECUTE FUNCTION lumora.notify_plugins();

GRANT SELECT (id, store_slug, name, point, api_version, version, sha256, module, enabled, on_failure, runs_on_shared_cells)
    ON lumora.plugins TO lumora_cell;

-- A store's transaction may also queue the run of its order.created plugins (a notification,
-- through the manager's durable jobs), besides its mail and order expiry.
CREATE OR REPLACE FUNCTION lumora_store.enqueue_own_job(job_kind text, job_payload jsonb, due timestamptz) RETURNS bigint
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog
    AS $$
DECLARE
    slug text;
    job_id bigint;
BEGIN
    IF job_kind NOT IN ('send_mail', 'expire_order', 'plugin_order_created') THEN
        RAISE EXCEPTION 'a store may not queue % jobs', job_kind USING ERRCODE = '42501';
    END IF;
    IF octet_length(job_payload::text) > 262144 THEN
        RAISE EXCEPTION 'job payload too large' USING ERRCODE = '54000';
    END IF;
    SELECT ss.store_slug INTO slug FROM lumora.store_schemas ss
    WHERE ss.store_slug IS NOT NULL AND lumora.store_role(ss.schema_name) = current_setting('role');
    IF slug IS NULL THEN
        RAISE EXCEPTION 'not inside a store''s transaction' USING ERRCODE = '42501';
    END IF;
    INSERT INTO lumora.jobs (kind, store_slug, payload, max_attempts, run_after)
    VALUES (job_kind, slug, job_payload, CASE job_kind WHEN 'send_mail' THEN 12 ELSE 8 END, COALESCE(due, now()))
    RETURNING id INTO job_id;
    RETURN job_id;
END $$;
