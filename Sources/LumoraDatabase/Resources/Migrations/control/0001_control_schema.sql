-- The control schema: the platform's routing table and bookkeeping.
-- Stores, their domains, the cells that serve them, and the per-store schema versions that
-- let `lumora migrate` decide what to do without visiting every store schema.

CREATE TABLE lumora.cells (
    id          text PRIMARY KEY,
    kind        text NOT NULL CHECK (kind IN ('shared', 'dedicated')),
    endpoint    text,
    version     text NOT NULL DEFAULT '',
    status      text NOT NULL DEFAULT 'pending'
                CHECK (status IN ('pending', 'starting', 'ready', 'draining', 'stopped', 'failed')),
    capacity    integer CHECK (capacity > 0),
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE lumora.stores (
    slug        text PRIMARY KEY
                CHECK (slug ~ '^[a-z][a-z0-9-]{1,30}[a-z0-9]$' AND slug NOT LIKE '%--%'),
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    plan        text NOT NULL CHECK (plan IN ('standard', 'enterprise')),
    status      text NOT NULL
                CHECK (status IN ('provisioning', 'active', 'suspended', 'failed', 'deleting')),
    owner_email text,
    currency    text NOT NULL DEFAULT 'USD' CHECK (currency ~ '^[A-Z]{3}$'),
    cell_id     text REFERENCES lumora.cells (id),
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX stores_cell ON lumora.stores (cell_id);

CREATE TABLE lumora.domains (
    hostname            text PRIMARY KEY CHECK (hostname = lower(hostname)),
    store_slug          text NOT NULL REFERENCES lumora.stores (slug) ON DELETE CASCADE,
    kind                text NOT NULL CHECK (kind IN ('platform', 'custom')),
    is_primary          boolean NOT NULL DEFAULT false,
    status              text NOT NULL CHECK (status IN ('pending', 'verified', 'failed')),
    verification_token  text,
    created_at          timestamptz NOT NULL DEFAULT now(),
    verified_at         timestamptz
);

CREATE INDEX domains_store ON lumora.domains (store_slug);
CREATE UNIQUE INDEX domains_one_primary ON lumora.domains (store_slug) WHERE is_primary;

-- Every store schema, live or waiting in the warm pool (store_slug IS NULL), with the number
-- of the last store migration applied to it.
CREATE TABLE lumora.store_schemas (
    schema_name text PRIMARY KEY CHECK (schema_name ~ '^(store|pool)_[a-z0-9_]{1,40}$'),
    store_slug  text UNIQUE REFERENCES lumora.stores (slug),
    version     integer NOT NULL DEFAULT 0 CHECK (version >= 0),
    created_at  timestamptz NOT NULL DEFAULT now(),
    migrated_at timestamptz
);

CREATE INDEX store_schemas_version ON lumora.store_schemas (version);
CREATE INDEX store_schemas_pool ON lumora.store_schemas (created_at) WHERE store_slug IS NULL;

-- The store migrations known to this database, so an edited migration file is refused
-- instead of silently diverging from schemas that already ran the old text.
CREATE TABLE lumora.store_migrations (
    version     integer PRIMARY KEY,
    name        text NOT NULL,
    checksum    text NOT NULL,
    recorded_at timestamptz NOT NULL DEFAULT now()
);
