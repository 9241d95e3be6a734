-- Durable jobs: every long operation (provision, plan change, delete, release) is a row here,
-- claimed with FOR UPDATE SKIP LOCKED under a lease, made of named steps whose completion is
-- recorded, so a killed manager's work is picked up where it stopped.
CREATE TABLE lumora.jobs (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind              text NOT NULL,
    store_slug        text,
    payload           jsonb NOT NULL DEFAULT '{}',
    state             text NOT NULL DEFAULT 'queued'
                      CHECK (state IN ('queued', 'running', 'retrying', 'succeeded', 'dead', 'canceled')),
    steps_done        text[] NOT NULL DEFAULT '{}',
    current_step      text,
    attempts          integer NOT NULL DEFAULT 0,
    max_attempts      integer NOT NULL DEFAULT 8 CHECK (max_attempts > 0),
    run_after         timestamptz NOT NULL DEFAULT now(),
    lease_owner       text,
    lease_expires_at  timestamptz,
    last_error        text,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    finished_at       timestamptz
);

CREATE INDEX jobs_claimable ON lumora.jobs (run_after, id) WHERE state IN ('queued', 'retrying', 'running');
CREATE INDEX jobs_store ON lumora.jobs (store_slug, id);
CREATE INDEX jobs_state ON lumora.jobs (state, id);

-- Workers sleep on LISTEN 'lumora_jobs' and wake when a job becomes claimable.
CREATE FUNCTION lumora.notify_job() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.state IN ('queued', 'retrying') THEN
        PERFORM pg_notify('lumora_jobs', NEW.id::text);
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER jobs_notify AFTER INSERT OR UPDATE OF state, run_after ON lumora.jobs
    FOR EACH ROW EXECUTE FUNCTION lumora.notify_job();

-- What a cell runtime needs to find, adopt or restart the cells it runs.
ALTER TABLE lumora.cells
    ADD COLUMN runtime     text NOT NULL DEFAULT 'local',
    ADD COLUMN store_slug  text,
    ADD COLUMN process_id  integer,
    -- A replacement being started, and a replaced process being drained: recorded so that a
    -- manager killed in between can stop them instead of leaving orphans.
    ADD COLUMN next_process_id integer,
    ADD COLUMN next_endpoint text,
    ADD COLUMN previous_process_id integer,
    ADD COLUMN host_name   text,
    ADD COLUMN binary_path text,
    ADD COLUMN image       text,
    ADD COLUMN started_at  timestamptz,
    ADD COLUMN last_error  text;

CREATE UNIQUE INDEX cells_one_per_store ON lumora.cells (store_slug) WHERE store_slug IS NOT NULL;
