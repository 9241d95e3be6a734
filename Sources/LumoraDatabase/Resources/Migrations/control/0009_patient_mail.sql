-- Mail waits out an outage of the SMTP server: a send_mail job is tried for about a day (the
-- job runner's backoff is capped at a minute) before it is dead and needs `lumora jobs retry`.
-- Twelve attempts (0008) gave up after some eight minutes.

CREATE OR REPLACE FUNCTION lumora_store.enqueue_own_job(job_kind text, job_payload jsonb, due timestamptz) RETURNS bigint
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog
    AS $$
DECLARE
    slug text;
    job_id bigint;
BEGIN
    IF job_kind NOT IN ('send_mail', 'expire_order') THEN
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
    VALUES (job_kind, slug, job_payload, CASE job_kind WHEN 'send_mail' THEN 1500 ELSE 8 END, COALESCE(due, now()))
    RETURNING id INTO job_id;
    RETURN job_id;
END $$;
