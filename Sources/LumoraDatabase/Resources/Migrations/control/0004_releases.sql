-- Platform releases: a new version rolled over the store schemas, the shared cell(s) and the
-- dedicated cells in batches, as one durable job whose progress is recorded per cell, so a
-- killed manager resumes where it stopped and never updates a cell twice.
CREATE TABLE lumora.releases (
    id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    version             text NOT NULL,
    binary_path         text,
    image               text,
    batch_size          integer NOT NULL CHECK (batch_size > 0),
    canary_size         integer NOT NULL CHECK (canary_size >= 0),
    pause_after_canary  boolean NOT NULL DEFAULT false,
    health_window_ms    integer NOT NULL CHECK (health_window_ms >= 0),
    max_error_rate      double precision NOT NULL CHECK (max_error_rate >= 0 AND max_error_rate <= 1),
    allow_incompatible  boolean NOT NULL DEFAULT false,
    state               text NOT NULL DEFAULT 'running'
                        CHECK (state IN ('running', 'paused', 'succeeded', 'failed', 'aborted')),
    phase               text NOT NULL DEFAULT 'schema'
                        CHECK (phase IN ('schema', 'shared', 'dedicated', 'done')),
    -- The last batch whose health gate passed (0 = the shared cells, 1 = the canary batch).
    gated_batch         integer NOT NULL DEFAULT -1,
    schemas_migrated    integer,
    reason              text,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    finished_at         timestamptz
);

-- One release at a time: two would fight over the same cells.
CREATE UNIQUE INDEX releases_one_in_progress ON lumora.releases ((true)) WHERE state IN ('running', 'paused');

CREATE TABLE lumora.release_cells (
    release_id    bigint NOT NULL REFERENCES lumora.releases (id) ON DELETE CASCADE,
    cell_id       text NOT NULL,
    store_slug    text,
    -- 0: the shared cells; 1: the canary batch; 2, 3 …: the following batches.
    batch         integer NOT NULL,
    state         text NOT NULL DEFAULT 'pending'
                  CHECK (state IN ('pending', 'updating', 'updated', 'rolled_back', 'skipped', 'failed')),
    from_version  text,
    from_binary   text,
    from_image    text,
    -- Where the cell answered once updated: a resumed release checks it is still the same
    -- process (updated once, not twice).
    endpoint      text,
    error         text,
    started_at    timestamptz,
    finished_at   timestamptz,
    PRIMARY KEY (release_id, cell_id)
);

CREATE INDEX release_cells_batch ON lumora.release_cells (release_id, batch, cell_id);

-- A store pinned to a version: releases skip its dedicated cell.
ALTER TABLE lumora.stores ADD COLUMN pinned_version text;
