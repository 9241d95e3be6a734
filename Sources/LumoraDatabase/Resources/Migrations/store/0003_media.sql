-- Uploaded images. One row per distinct upload of the store (the SHA-256 of its bytes names
-- its files, so the same photo uploaded twice is one media); each is kept in every width of
-- `widths` (with the matching `heights`), in every format of `formats`. Files live in the
-- platform's media store under the store's own prefix, never in the database.
-- A media that is deleted (or whose last product went) gets `deleted_at`; the manager's sweep
-- removes its files and the row once the grace period has passed. Until then an upload of the
-- same bytes brings it back.

CREATE TABLE media (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    hash        text NOT NULL UNIQUE CHECK (hash ~ '^[0-9a-f]{64}$'),
    source      text NOT NULL CHECK (source IN ('jpeg', 'png', 'webp')),
    widths      integer[] NOT NULL CHECK (cardinality(widths) BETWEEN 1 AND 16),
    heights     integer[] NOT NULL CHECK (cardinality(heights) = cardinality(widths)),
    formats     text[] NOT NULL CHECK (cardinality(formats) BETWEEN 1 AND 3 AND formats <@ ARRAY['jpeg', 'png', 'webp']),
    byte_count  bigint NOT NULL CHECK (byte_count > 0),
    created_at  timestamptz NOT NULL DEFAULT now(),
    deleted_at  timestamptz
);

CREATE INDEX media_deleted ON media (deleted_at) WHERE deleted_at IS NOT NULL;

-- A product's pictures, in order, each with its alt text.
CREATE TABLE product_media (
    product_id  bigint NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    media_id    bigint NOT NULL REFERENCES media (id),
    position    integer NOT NULL CHECK (position >= 0),
    alt         text NOT NULL DEFAULT '' CHECK (length(alt) <= 500),
    PRIMARY KEY (product_id, media_id)
);

CREATE INDEX product_media_media ON product_media (media_id);

ALTER TABLE settings ADD COLUMN logo_media_id bigint REFERENCES media (id);

CREATE TRIGGER media_changed AFTER UPDATE OR DELETE ON media
    FOR EACH STATEMENT EXECUTE FUNCTION catalog_changed();
CREATE TRIGGER product_media_changed AFTER INSERT OR UPDATE OR DELETE ON product_media
    FOR EACH STATEMENT EXECUTE FUNCTION catalog_changed();
