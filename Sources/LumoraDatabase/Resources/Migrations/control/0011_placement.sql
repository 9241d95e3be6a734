-- Placement: the databases that hold store schemas, which database each cell and store is on,
-- and room counted in stores. The control schema stays in the first database, `main` (the one
-- this migration runs in); other databases are reached through their connection reference.

CREATE TABLE lumora.databases (
    id              text PRIMARY KEY CHECK (id ~ '^[a-z][a-z0-9-]{0,30}[a-z0-9]$'),
    -- NULL: this database (the control schema's own). Otherwise where its URL is kept, never
    -- the URL itself: `env:<VARIABLE>` or a secret manager's reference.
    connection_ref  text CHECK (connection_ref IS NULL OR connection_ref ~ '^(env|secret):[A-Za-z0-9_./-]{1,200}$'),
    -- Stores it takes before signup stops placing stores there (each store schema costs its
    -- catalog rows on disk and ~84 KB of catalog cache in every backend that touches it).
    capacity_stores integer NOT NULL CHECK (capacity_stores > 0),
    -- open: takes new stores; full: keeps its stores, takes none; draining: its stores are
    -- being moved off.
    state           text NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'full', 'draining')),
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);

INSERT INTO lumora.databases (id, connection_ref, capacity_stores) VALUES ('main', NULL, 5000);

-- Every cell serves the stores of one database; `capacity` (stores, shared cells only) is the
-- room signup counts when it picks a shared cell.
ALTER TABLE lumora.cells ADD COLUMN database_id text NOT NULL DEFAULT 'main' REFERENCES lumora.databases (id);
ALTER TABLE lumora.cells ADD CONSTRAINT cells_id_database UNIQUE (id, database_id);

ALTER TABLE lumora.stores ADD COLUMN database_id text NOT NULL DEFAULT 'main' REFERENCES lumora.databases (id);
-- A store's cell is on the store's database: the database refuses a route the app got wrong.
ALTER TABLE lumora.stores ADD CONSTRAINT stores_cell_on_its_database
    FOREIGN KEY (cell_id, database_id) REFERENCES lumora.cells (id, database_id);
CREATE INDEX stores_database ON lumora.stores (database_id);

-- The shared cell of `database` with the most room left (capacity minus its stores; a cell
-- without a recorded capacity is meant for 1000). Capacity orders the cells, it does not close
-- them: when every one is past it, the least loaded still takes the store, so signups go on
-- while the operator adds a cell. NULL: the database has no shared cell yet.
CREATE FUNCTION lumora.shared_cell_with_most_room(database text) RETURNS text LANGUAGE sql STABLE AS $$
    SELECT c.id FROM lumora.cells c
    WHERE c.database_id = database AND c.kind = 'shared' AND c.status IN ('starting', 'ready')
    ORDER BY COALESCE(c.capacity, 1000) - (SELECT count(*) FROM lumora.stores s WHERE s.cell_id = c.id) DESC, c.id
    LIMIT 1
$$;

-- Standard stores made before placement were served by "the" shared cell: name it.
UPDATE lumora.stores SET cell_id = 'shared'
WHERE cell_id IS NULL AND plan = 'standard' AND EXISTS (SELECT 1 FROM lumora.cells WHERE id = 'shared' AND kind = 'shared');

GRANT SELECT (database_id) ON lumora.stores TO lumora_cell, lumora_edge;
GRANT SELECT (database_id) ON lumora.cells TO lumora_cell, lumora_edge;
