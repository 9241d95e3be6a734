-- Selling for real: how a store is paid, where it ships and what tax it charges, and the
-- payment life of an order (pending_payment → paid → fulfilled, or canceled, or refunded).
-- Compatible with the version before it: old cells keep writing 'pending' orders (still
-- allowed, read as pending_payment) whose totals satisfy the new check.

ALTER TABLE settings
    ADD COLUMN payment_provider     text CHECK (payment_provider IN ('manual', 'test', 'stripe')),
    ADD COLUMN stripe_account_id    text CHECK (stripe_account_id ~ '^acct_[A-Za-z0-9]{1,64}$'),
    ADD COLUMN prices_include_tax   boolean NOT NULL DEFAULT false,
    ADD COLUMN payment_instructions text NOT NULL DEFAULT '' CHECK (length(payment_instructions) <= 2000),
    ADD COLUMN order_notice_email   text CHECK (length(order_notice_email) <= 254),
    ADD CONSTRAINT stripe_needs_account CHECK (payment_provider IS DISTINCT FROM 'stripe' OR stripe_account_id IS NOT NULL);

ALTER TABLE variants ADD COLUMN weight_grams integer CHECK (weight_grams BETWEEN 0 AND 1000000000);

-- Shipping zones: countries, each zone with its rates. A country belongs to at most one zone
-- (enforced by the cell, which replaces a zone whole); a store with no zones charges no shipping.
CREATE TABLE shipping_zones (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    countries   text[] NOT NULL CHECK (cardinality(countries) BETWEEN 1 AND 250),
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE shipping_rates (
    id                 bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    zone_id            bigint NOT NULL REFERENCES shipping_zones (id) ON DELETE CASCADE,
    name               text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    kind               text NOT NULL CHECK (kind IN ('flat', 'free_over', 'weight')),
    amount             bigint NOT NULL CHECK (amount >= 0),
    free_over_amount   bigint CHECK (free_over_amount >= 0),
    min_weight_grams   bigint CHECK (min_weight_grams >= 0),
    max_weight_grams   bigint,
    position           integer NOT NULL DEFAULT 0,
    CHECK (kind <> 'free_over' OR free_over_amount IS NOT NULL),
    CHECK (kind <> 'weight' OR (min_weight_grams IS NOT NULL AND max_weight_grams > min_weight_grams))
);

CREATE INDEX shipping_rates_zone ON shipping_rates (zone_id, position, id);

-- Tax by country, and by region (a state, a province) where one is given.
CREATE TABLE tax_rates (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    country         text NOT NULL CHECK (country ~ '^[A-Z]{2}$'),
    region          text CHECK (length(region) BETWEEN 1 AND 100),
    name            text NOT NULL DEFAULT 'Tax' CHECK (length(name) BETWEEN 1 AND 100),
    rate_ppm        bigint NOT NULL CHECK (rate_ppm BETWEEN 0 AND 1000000),
    UNIQUE NULLS NOT DISTINCT (country, region)
);

ALTER TABLE carts
    ADD COLUMN shipping_address jsonb,
    ADD COLUMN shipping_rate_id bigint REFERENCES shipping_rates (id) ON DELETE SET NULL;

UPDATE orders SET status = 'pending_payment' WHERE status = 'pending';
ALTER TABLE orders DROP CONSTRAINT orders_status_check;
ALTER TABLE orders
    ADD CONSTRAINT orders_status_check CHECK (status IN ('pending', 'pending_payment', 'paid', 'fulfilled', 'canceled', 'refunded')),
    ADD COLUMN shipping_amount     bigint NOT NULL DEFAULT 0 CHECK (shipping_amount >= 0),
    ADD COLUMN tax_amount          bigint NOT NULL DEFAULT 0 CHECK (tax_amount >= 0),
    ADD COLUMN prices_include_tax  boolean NOT NULL DEFAULT false,
    ADD COLUMN shipping_method     text,
    ADD COLUMN payment_provider    text NOT NULL DEFAULT 'manual' CHECK (payment_provider IN ('manual', 'test', 'stripe')),
    -- The provider's handle on this payment: a Checkout Session (stripe), and later its payment intent.
    ADD COLUMN payment_session     text UNIQUE,
    ADD COLUMN payment_url         text,
    ADD COLUMN payment_intent      text UNIQUE,
    ADD COLUMN payment_due_at      timestamptz,
    ADD COLUMN paid_at             timestamptz,
    ADD COLUMN refunded_amount     bigint NOT NULL DEFAULT 0,
    -- Why the merchant must look at this order (a payment that did not match it).
    ADD COLUMN flag                text,
    ADD CONSTRAINT orders_refund_bounds CHECK (refunded_amount BETWEEN 0 AND total_amount),
    -- The database refuses totals that do not add up, whatever the code forgets.
    ADD CONSTRAINT orders_totals_add_up CHECK (
        total_amount = subtotal_amount + shipping_amount + CASE WHEN prices_include_tax THEN 0 ELSE tax_amount END);
ALTER TABLE orders ALTER COLUMN status SET DEFAULT 'pending_payment';

CREATE INDEX orders_awaiting_payment ON orders (payment_due_at) WHERE status IN ('pending', 'pending_payment');

ALTER TABLE order_line_items ADD COLUMN tax_amount bigint NOT NULL DEFAULT 0 CHECK (tax_amount >= 0);

-- Every payment attempt (a test card, a Stripe session's outcome, a merchant's "mark paid").
CREATE TABLE payments (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    order_id    bigint NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    provider    text NOT NULL CHECK (provider IN ('manual', 'test', 'stripe')),
    reference   text,
    amount      bigint NOT NULL CHECK (amount >= 0),
    currency    text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    status      text NOT NULL CHECK (status IN ('requires_action', 'succeeded', 'failed')),
    message     text,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (provider, reference)
);

CREATE INDEX payments_order ON payments (order_id, id);

CREATE TABLE refunds (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    order_id    bigint NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    amount      bigint NOT NULL CHECK (amount > 0),
    reference   text UNIQUE,
    reason      text CHECK (length(reason) <= 500),
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX refunds_order ON refunds (order_id, id);

-- Webhook events already applied: a replay (Stripe delivers at least once) changes nothing.
CREATE TABLE payment_events (
    event_id     text PRIMARY KEY,
    type         text NOT NULL,
    received_at  timestamptz NOT NULL DEFAULT now()
);

-- The reserved units of an order become available again (an order canceled, expired or
-- refunded before it shipped). One definition for the cell and the manager's expiry job.
CREATE FUNCTION release_order_stock(released_order bigint) RETURNS void LANGUAGE sql AS $$
    UPDATE inventory i SET reserved = i.reserved - l.quantity
    FROM (SELECT variant_id, sum(quantity) AS quantity FROM order_line_items
          WHERE order_id = released_order AND variant_id IS NOT NULL GROUP BY variant_id) l
    WHERE l.variant_id = i.variant_id
$$;

-- An order whose payment did not arrive in time: canceled and its stock released, once — and
-- only if it is still unpaid when the job runs (a payment that won the race keeps it).
CREATE FUNCTION expire_unpaid_order(expired_order bigint) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
    UPDATE orders SET status = 'canceled', updated_at = now()
    WHERE id = expired_order AND status IN ('pending', 'pending_payment') AND payment_provider <> 'manual'
      AND payment_due_at <= now();
    IF NOT FOUND THEN
        RETURN false;
    END IF;
    PERFORM release_order_stock(expired_order);
    RETURN true;
END $$;

-- Shipping and tax settings change what checkout charges, not what the catalog shows; they
-- announce nothing.
