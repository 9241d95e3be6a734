import LumoraCore
import PostgresNIO

/// Every statement the database layer sends, in one place. Values are bind parameters
/// (`\(value)` becomes `$n`); only a `SchemaName` is ever pasted, because PostgreSQL cannot
/// bind identifiers.
enum SQL {
    // MARK: Tenant scope

    /// The first statement of every tenant transaction: become the store's role (privileges
    /// on its schema only), look in its schema, bound each statement's time. `true` =
    /// transaction-local: the settings end with the transaction, so a pooled connection never
    /// carries one store's role or path into another's request.
    static func enterStore(_ schema: SchemaName, statementTimeoutMilliseconds: Int) -> PostgresQuery {
        """
        SELECT set_config('role', lumora.store_role(\(schema.rawValue)), true), set_config('search_path', \(schema.rawValue), true), \
        set_config('statement_timeout', \(String(statementTimeoutMilliseconds)), true)
        """
    }

    /// `enterStore` for a connection whose search path was fixed at connect time (dedicated cells).
    static func enterStoreRole(_ schema: SchemaName, statementTimeoutMilliseconds: Int) -> PostgresQuery {
        "SELECT set_config('role', lumora.store_role(\(schema.rawValue)), true), set_config('statement_timeout', \(String(statementTimeoutMilliseconds)), true)"
    }

    // MARK: Store roles (functions of control migration 0006, which build identifiers with %I)

    static func prepareStoreRole(_ schema: SchemaName) -> PostgresQuery {
        "SELECT lumora.prepare_store_role(\(schema.rawValue))"
    }

    static func renameStoreRole(_ old: SchemaName, to new: SchemaName) -> PostgresQuery {
        "SELECT lumora.rename_store_role(\(old.rawValue), \(new.rawValue))"
    }

    static func dropStoreRole(_ schema: SchemaName) -> PostgresQuery {
        "SELECT lumora.drop_store_role(\(schema.rawValue))"
    }

    static func enterSchema(_ schema: SchemaName) -> PostgresQuery {
        "SELECT set_config('search_path', \(schema.rawValue), true)"
    }

    // MARK: Control migrations

    static let controlLock: PostgresQuery = "SELECT pg_advisory_xact_lock(7312001)"
    static let createControlSchema: PostgresQuery = "CREATE SCHEMA IF NOT EXISTS lumora"
    static let createControlMigrations: PostgresQuery = """
        CREATE TABLE IF NOT EXISTS lumora.control_migrations (
            version integer PRIMARY KEY,
            name text NOT NULL,
            checksum text NOT NULL,
            applied_at timestamptz NOT NULL DEFAULT now()
        )
        """
    static let appliedControlMigrations: PostgresQuery = "SELECT version, checksum FROM lumora.control_migrations ORDER BY version"

    static func recordControlMigration(_ migration: Migration) -> PostgresQuery {
        "INSERT INTO lumora.control_migrations (version, name, checksum) VALUES (\(migration.version), \(migration.name), \(migration.checksum))"
    }

    // MARK: Store migrations

    static let storeCatalogLock: PostgresQuery = "SELECT pg_advisory_xact_lock(7312002)"
    /// Held shared by every transaction that builds or claims a store schema with the store
    /// set it read; a release takes it exclusively once it switched sets.
    static let schemaBuildLock: PostgresQuery = "SELECT pg_advisory_xact_lock_shared(7312003)"
    static let schemaBuildBarrier: PostgresQuery = "SELECT pg_advisory_xact_lock(7312003)"
    static let knownStoreMigrations: PostgresQuery = "SELECT version, checksum FROM lumora.store_migrations ORDER BY version"

    static func recordStoreMigration(_ migration: Migration) -> PostgresQuery {
        "INSERT INTO lumora.store_migrations (version, name, checksum) VALUES (\(migration.version), \(migration.name), \(migration.checksum)) ON CONFLICT (version) DO NOTHING"
    }

    static func schemasBehind(_ version: Int) -> PostgresQuery {
        "SELECT schema_name, store_slug, version FROM lumora.store_schemas WHERE version < \(version) ORDER BY schema_name"
    }

    static func lockSchemaVersion(_ schema: SchemaName) -> PostgresQuery {
        "SELECT version FROM lumora.store_schemas WHERE schema_name = \(schema.rawValue) FOR UPDATE"
    }

    static func setSchemaVersion(_ schema: SchemaName, _ version: Int) -> PostgresQuery {
        "UPDATE lumora.store_schemas SET version = \(version), migrated_at = now() WHERE schema_name = \(schema.rawValue)"
    }

    // MARK: Warm pool

    static func createSchema(_ schema: SchemaName) -> PostgresQuery {
        PostgresQuery(unsafeSQL: "CREATE SCHEMA \(schema.rawValue)")
    }

    static func registerSchema(_ schema: SchemaName, version: Int) -> PostgresQuery {
        "INSERT INTO lumora.store_schemas (schema_name, version, migrated_at) VALUES (\(schema.rawValue), \(version), now())"
    }

    static let availablePoolSchemas: PostgresQuery = "SELECT count(*)::int FROM lumora.store_schemas WHERE store_slug IS NULL"

    /// Oldest first; SKIP LOCKED lets concurrent signups each take a different schema.
    static let claimPoolSchema: PostgresQuery = """
        SELECT schema_name, version FROM lumora.store_schemas
        WHERE store_slug IS NULL
        ORDER BY created_at
        FOR UPDATE SKIP LOCKED
        LIMIT 1
        """

    static func renameSchema(_ old: SchemaName, to new: SchemaName) -> PostgresQuery {
        PostgresQuery(unsafeSQL: "ALTER SCHEMA \(old.rawValue) RENAME TO \(new.rawValue)")
    }

    static func renameSchemaRecord(_ old: SchemaName, to new: SchemaName) -> PostgresQuery {
        "UPDATE lumora.store_schemas SET schema_name = \(new.rawValue) WHERE schema_name = \(old.rawValue)"
    }

    // MARK: Stores

    static let storeColumns = "slug, name, plan, status, owner_email, currency, cell_id, database_id, created_at"

    static func storeExists(_ slug: StoreSlug) -> PostgresQuery {
        "SELECT 1 FROM lumora.stores WHERE slug = \(slug.rawValue)"
    }

    /// Where a new store goes: the open database with the most room left (stores below its
    /// capacity) and, for a store on a shared cell, that database's shared cell with the most
    /// room (`lumora.shared_cell_with_most_room`, control migration 0011). Without a shared
    /// cell yet (a platform starting) the store gets none: the database's shared cells serve it
    /// until the manager places it. Only databases this client reaches (the control schema's
    /// own) are considered, until the directory holds clients for others.
    static func placement(onSharedCell: Bool) -> PostgresQuery {
        """
        SELECT d.id, CASE WHEN \(onSharedCell) THEN lumora.shared_cell_with_most_room(d.id) END
        FROM lumora.databases d
        CROSS JOIN LATERAL (SELECT count(*) AS stores FROM lumora.stores s WHERE s.database_id = d.id) used
        WHERE d.state = 'open' AND d.connection_ref IS NULL AND used.stores < d.capacity_stores
        ORDER BY d.capacity_stores - used.stores DESC, d.id
        LIMIT 1
        """
    }

    static func insertStore(_ store: NewStore, placement: StorePlacement) -> PostgresQuery {
        """
        INSERT INTO lumora.stores (slug, name, plan, status, owner_email, currency, database_id, cell_id)
        VALUES (\(store.slug.rawValue), \(store.name), \(store.plan.rawValue), \(store.status.rawValue), \(store.ownerEmail), \(store.currency.code),
                \(placement.databaseID), \(placement.cellID))
        RETURNING \(unescaped: storeColumns)
        """
    }

    static func attachSchema(_ schema: SchemaName, to slug: StoreSlug) -> PostgresQuery {
        "UPDATE lumora.store_schemas SET store_slug = \(slug.rawValue) WHERE schema_name = \(schema.rawValue)"
    }

    /// Runs inside the new store's schema (search_path set): its storefront settings.
    static func initialSettings(name: String, currency: CurrencyCode) -> PostgresQuery {
        "UPDATE settings SET name = \(name), currency = \(currency.code), updated_at = now()"
    }

    static let listStores: PostgresQuery = "SELECT \(unescaped: storeColumns) FROM lumora.stores ORDER BY slug"

    static func store(_ slug: StoreSlug) -> PostgresQuery {
        "SELECT \(unescaped: storeColumns) FROM lumora.stores WHERE slug = \(slug.rawValue)"
    }

    static func setStoreStatus(_ slug: StoreSlug, _ status: StoreStatus) -> PostgresQuery {
        """
        UPDATE lumora.stores SET status = \(status.rawValue), updated_at = now()
        WHERE slug = \(slug.rawValue)
        RETURNING \(unescaped: storeColumns)
        """
    }

    static func lockStoreSchema(_ slug: StoreSlug) -> PostgresQuery {
        "SELECT schema_name FROM lumora.store_schemas WHERE store_slug = \(slug.rawValue) FOR UPDATE"
    }

    static func dropSchema(_ schema: SchemaName) -> PostgresQuery {
        PostgresQuery(unsafeSQL: "DROP SCHEMA IF EXISTS \(schema.rawValue) CASCADE")
    }

    static func forgetSchema(_ schema: SchemaName) -> PostgresQuery {
        "DELETE FROM lumora.store_schemas WHERE schema_name = \(schema.rawValue)"
    }

    static func deleteStore(_ slug: StoreSlug) -> PostgresQuery {
        "DELETE FROM lumora.stores WHERE slug = \(slug.rawValue) RETURNING slug"
    }

    // MARK: API tokens

    static func insertAPIToken(_ slug: StoreSlug, name: String, hash: String) -> PostgresQuery {
        """
        INSERT INTO lumora.api_tokens (store_slug, name, token_hash)
        SELECT slug, \(name), \(hash) FROM lumora.stores WHERE slug = \(slug.rawValue)
        RETURNING id
        """
    }
}
