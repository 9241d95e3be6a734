-- People and their stores: the merchant dashboard's accounts, the stores each person belongs to
-- and with which role, server-side sessions, staff invitations, password resets, and a store's
-- named API tokens (the admin token becomes the first of them). Only the manager (the owner
-- role) reads or writes these; cells see the hashes of live API tokens, edges nothing.
-- Secrets (session ids, invitation and reset links, API tokens) are kept as SHA-256 hashes.

CREATE TABLE lumora.accounts (
    id                  bigserial PRIMARY KEY,
    email               text NOT NULL UNIQUE CHECK (email = lower(email) AND length(email) BETWEEN 3 AND 254),
    password_hash       text NOT NULL CHECK (password_hash LIKE 'scrypt$%'),
    created_at          timestamptz NOT NULL DEFAULT now(),
    password_changed_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE lumora.memberships (
    account_id  bigint NOT NULL REFERENCES lumora.accounts (id) ON DELETE CASCADE,
    store_slug  text NOT NULL REFERENCES lumora.stores (slug) ON DELETE CASCADE ON UPDATE CASCADE,
    role        text NOT NULL CHECK (role IN ('owner', 'admin', 'staff')),
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (account_id, store_slug)
);

CREATE INDEX memberships_store ON lumora.memberships (store_slug);

CREATE TABLE lumora.sessions (
    token_hash  text PRIMARY KEY CHECK (token_hash ~ '^[0-9a-f]{64}$'),
    account_id  bigint NOT NULL REFERENCES lumora.accounts (id) ON DELETE CASCADE,
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL
);

CREATE INDEX sessions_account ON lumora.sessions (account_id);
CREATE INDEX sessions_expiry ON lumora.sessions (expires_at);

CREATE TABLE lumora.invitations (
    token_hash  text PRIMARY KEY CHECK (token_hash ~ '^[0-9a-f]{64}$'),
    store_slug  text NOT NULL REFERENCES lumora.stores (slug) ON DELETE CASCADE ON UPDATE CASCADE,
    email       text NOT NULL CHECK (email = lower(email) AND length(email) BETWEEN 3 AND 254),
    role        text NOT NULL CHECK (role IN ('admin', 'staff')),
    invited_by  bigint REFERENCES lumora.accounts (id) ON DELETE SET NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL,
    accepted_at timestamptz
);

CREATE INDEX invitations_store ON lumora.invitations (store_slug);

CREATE TABLE lumora.password_resets (
    token_hash  text PRIMARY KEY CHECK (token_hash ~ '^[0-9a-f]{64}$'),
    account_id  bigint NOT NULL REFERENCES lumora.accounts (id) ON DELETE CASCADE,
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL,
    used_at     timestamptz
);

-- One-time sign-in links: the landing page (on the root domain) cannot set the dashboard's
-- cookie (on app.<root>), so signup hands the new owner over with a code good for a minute.
CREATE TABLE lumora.sign_in_links (
    token_hash  text PRIMARY KEY CHECK (token_hash ~ '^[0-9a-f]{64}$'),
    account_id  bigint NOT NULL REFERENCES lumora.accounts (id) ON DELETE CASCADE,
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL,
    used_at     timestamptz
);

CREATE TABLE lumora.api_tokens (
    id          bigserial PRIMARY KEY,
    store_slug  text NOT NULL REFERENCES lumora.stores (slug) ON DELETE CASCADE ON UPDATE CASCADE,
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    token_hash  text NOT NULL UNIQUE CHECK (token_hash ~ '^[0-9a-f]{64}$'),
    created_at  timestamptz NOT NULL DEFAULT now(),
    revoked_at  timestamptz
);

CREATE INDEX api_tokens_store ON lumora.api_tokens (store_slug);

-- The admin token every store was given becomes its first named token.
INSERT INTO lumora.api_tokens (store_slug, name, token_hash, created_at)
SELECT slug, 'Admin token', admin_token_hash, created_at FROM lumora.stores WHERE admin_token_hash IS NOT NULL;

-- Cells reload a store's route (and so its live tokens) when its tokens change.
CREATE FUNCTION lumora.notify_api_token_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('lumora_control', 'store:' || COALESCE(NEW.store_slug, OLD.store_slug));
    RETURN NULL;
END $$;

CREATE TRIGGER api_tokens_notify AFTER INSERT OR UPDATE OR DELETE ON lumora.api_tokens
    FOR EACH ROW EXECUTE FUNCTION lumora.notify_api_token_change();

ALTER TABLE lumora.stores DROP COLUMN admin_token_hash;
GRANT SELECT (id, store_slug, token_hash, revoked_at) ON lumora.api_tokens TO lumora_cell;

-- A store's currency lives in the control schema too (cells check prices against it, edges
-- format with it). Like its name, a store's role may not write there: this function changes
-- the currency of the store whose role is current, and no other.
CREATE FUNCTION lumora_store.set_own_currency(new_currency text) RETURNS void
    LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog
    AS $$
    UPDATE lumora.stores s SET currency = new_currency, updated_at = now()
    FROM lumora.store_schemas ss
    WHERE ss.store_slug = s.slug AND lumora.store_role(ss.schema_name) = current_setting('role')
    $$;
