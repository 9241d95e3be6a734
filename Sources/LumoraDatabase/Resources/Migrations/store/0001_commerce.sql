-- A store's own schema: settings, catalog, inventory, carts and orders.
-- Names are unqualified: the schema is chosen by search_path, and pool schemas are renamed
-- on signup, so nothing here may spell out a schema name.

CREATE TABLE settings (
    singleton       boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    name            text NOT NULL DEFAULT '',
    description     text NOT NULL DEFAULT '',
    logo_url        text,
    primary_color   text NOT NULL DEFAULT '#1f2937' CHECK (primary_color ~ '^#[0-9a-fA-F]{6}$'),
    accent_color    text NOT NULL DEFAULT '#2563eb' CHECK (accent_color ~ '^#[0-9a-fA-F]{6}$'),
    currency        text NOT NULL DEFAULT 'USD' CHECK (currency ~ '^[A-Z]{3}$'),
    catalog_version bigint NOT NULL DEFAULT 1,
    updated_at      timestamptz NOT NULL DEFAULT now()
);

INSERT INTO settings DEFAULT VALUES;

CREATE TABLE collections (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    handle      text NOT NULL UNIQUE,
    title       text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE products (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    handle        text NOT NULL UNIQUE,
    title         text NOT NULL,
    description   text NOT NULL DEFAULT '',
    status        text NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'published')),
    collection_id bigint REFERENCES collections (id) ON DELETE SET NULL,
    images        text[] NOT NULL DEFAULT '{}',
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX products_published ON products (created_at DESC, id DESC) WHERE status = 'published';
CREATE INDEX products_collection ON products (collection_id);

CREATE TABLE variants (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    product_id    bigint NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    title         text NOT NULL,
    sku           text UNIQUE,
    price_amount  bigint NOT NULL CHECK (price_amount >= 0),
    currency      text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    position      integer NOT NULL DEFAULT 0,
    created_at    timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX variants_product ON variants (product_id, position);

-- Stock is reserved by checkout in the same transaction that writes the order; the checks make
-- overselling impossible even for code that forgets the guarded UPDATE.
CREATE TABLE inventory (
    variant_id  bigint PRIMARY KEY REFERENCES variants (id) ON DELETE CASCADE,
    stocked     bigint NOT NULL DEFAULT 0 CHECK (stocked >= 0),
    reserved    bigint NOT NULL DEFAULT 0 CHECK (reserved >= 0),
    CHECK (reserved <= stocked)
);

CREATE TABLE carts (
    id            text PRIMARY KEY,
    currency      text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    email         text,
    completed_at  timestamptz,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE cart_line_items (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    cart_id     text NOT NULL REFERENCES carts (id) ON DELETE CASCADE,
    variant_id  bigint NOT NULL REFERENCES variants (id) ON DELETE CASCADE,
    quantity    integer NOT NULL CHECK (quantity BETWEEN 1 AND 1000),
    created_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (cart_id, variant_id)
);

CREATE TABLE orders (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    cart_id           text NOT NULL UNIQUE REFERENCES carts (id),
    email             text NOT NULL,
    shipping_address  jsonb NOT NULL,
    currency          text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    subtotal_amount   bigint NOT NULL CHECK (subtotal_amount >= 0),
    total_amount      bigint NOT NULL CHECK (total_amount >= 0),
    status            text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'fulfilled', 'canceled')),
    idempotency_key   text UNIQUE,
    request_hash      text,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX orders_created ON orders (created_at DESC, id DESC);

CREATE TABLE order_line_items (
    id                 bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    order_id           bigint NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    variant_id         bigint REFERENCES variants (id) ON DELETE SET NULL,
    product_title      text NOT NULL,
    variant_title      text NOT NULL,
    sku                text,
    quantity           integer NOT NULL CHECK (quantity > 0),
    unit_price_amount  bigint NOT NULL CHECK (unit_price_amount >= 0),
    total_amount       bigint NOT NULL CHECK (total_amount >= 0)
);

CREATE INDEX order_line_items_order ON order_line_items (order_id);
