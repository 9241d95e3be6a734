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

    // MARK: Write freezes (functions of control migration 0012)

    static func storeWritesFrozen(_ schema: SchemaName) -> PostgresQuery {
        "SELECT lumora.store_writes_frozen(\(schema.rawValue))"
    }

    static func storeWritesRevoked(_ schema: SchemaName) -> PostgresQuery {
        "SELECT NOT has_table_privilege(lumora.store_role(\(schema.rawValue)), format('%I.settings', \(schema.rawValue)::text), 'UPDATE')"
    }

    static func freezeStoreWrites(_ schema: SchemaName) -> PostgresQuery {
        "SELECT lumora.freeze_store_writes(\(schema.rawValue))"
    }

    static func thawStoreWrites(_ schema: SchemaName) -> PostgresQuery {
        "SELECT lumora.thaw_store_writes(\(schema.rawValue))"
    }

    static func storeWritersDone(_ schema: SchemaName) -> PostgresQuery {
        "SELECT lumora.store_writers_done(\(schema.rawValue))"
    }

    // MARK: Moves between databases (SchemaReplication)
    //
    // DDL takes no parameters: each statement is made by the server with `format()` (%I for
    // names, %L for the connection string) from bound values, then run as it came back.

    static let walLevel: PostgresQuery = "SELECT current_setting('wal_level')"

    /// Subscriptions are listed server-wide (`pg_subscription` is a shared catalog); names are
    /// unique per database.
    static let thisDatabase = "(SELECT oid FROM pg_database WHERE datname = current_database())"

    /// Slot names are unique server-wide, where two databases may each move a store of one
    /// slug (two platforms, or test runs, on one server): the source database's oid is in it.
    static func slotName(_ schema: SchemaName) -> PostgresQuery {
        "SELECT 'lumora_move_' || \(unescaped: thisDatabase) || '_' || left(md5(\(schema.rawValue)), 16)"
    }

    static func schemaExists(_ schema: SchemaName) -> PostgresQuery {
        "SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = \(schema.rawValue))"
    }

    static func storeSchemaVersion(_ schema: SchemaName) -> PostgresQuery {
        "SELECT version FROM lumora.store_schemas WHERE schema_name = \(schema.rawValue)"
    }

    /// Tables whose updates and deletes logical replication could not apply (no primary key
    /// and no other replica identity).
    static func tablesWithoutReplicaIdentity(_ schema: SchemaName) -> PostgresQuery {
        """
        SELECT c.relname::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = \(schema.rawValue) AND c.relkind IN ('r', 'p')
          AND (c.relreplident = 'n' OR (c.relreplident = 'd' AND NOT EXISTS
               (SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid AND i.indisprimary)))
        ORDER BY 1
        """
    }

    static func truncateSchemaTablesStatement(_ schema: SchemaName) -> PostgresQuery {
        """
        SELECT format('TRUNCATE %s', string_agg(format('%I.%I', n.nspname, c.relname), ', ' ORDER BY c.relname))
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = \(schema.rawValue) AND c.relkind IN ('r', 'p')
        """
    }

    /// The comment that says a schema is a move's copy, not yet a store's (abort may drop it).
    static func moveCopyComment(_ schema: SchemaName) -> String { "lumora move copy of \(schema.rawValue)" }

    static func markMoveCopyStatement(_ schema: SchemaName) -> PostgresQuery {
        "SELECT format('COMMENT ON SCHEMA %I IS %L', \(schema.rawValue)::text, \(moveCopyComment(schema))::text)"
    }

    static func isMoveCopy(_ schema: SchemaName) -> PostgresQuery {
        """
        SELECT EXISTS (SELECT 1 FROM pg_namespace n
                       WHERE n.nspname = \(schema.rawValue) AND obj_description(n.oid, 'pg_namespace') = \(moveCopyComment(schema)))
        """
    }

    static func dropSchemaStatement(_ schema: SchemaName) -> PostgresQuery {
        "SELECT format('DROP SCHEMA IF EXISTS %I CASCADE', \(schema.rawValue)::text)"
    }

    static func publicationExists(_ name: String) -> PostgresQuery {
        "SELECT EXISTS (SELECT 1 FROM pg_publication WHERE pubname = \(name))"
    }

    static func createPublicationStatement(_ name: String, schema: SchemaName) -> PostgresQuery {
        "SELECT format('CREATE PUBLICATION %I FOR TABLES IN SCHEMA %I', \(name)::text, \(schema.rawValue)::text)"
    }

    static func dropPublicationStatement(_ name: String) -> PostgresQuery {
        "SELECT format('DROP PUBLICATION IF EXISTS %I', \(name)::text)"
    }

    static func slotExists(_ name: String) -> PostgresQuery {
        "SELECT EXISTS (SELECT 1 FROM pg_replication_slots WHERE slot_name = \(name))"
    }

    /// Made apart from the subscription: `CREATE SUBSCRIPTION` making its own slot hangs when
    /// both databases are on one server (PostgreSQL's documented caveat).
    static func createSlot(_ name: String) -> PostgresQuery {
        "SELECT lsn::text FROM pg_create_logical_replication_slot(\(name), 'pgoutput')"
    }

    /// The move's slot and the table-sync slots its subscription (`oid`) may have left behind
    /// (`pg_<oid>_sync_…`), with whether a walsender still holds each.
    static func moveSlots(_ name: String, syncPrefix: String) -> PostgresQuery {
        """
        SELECT slot_name::text, active FROM pg_replication_slots
        WHERE slot_name = \(name) OR starts_with(slot_name::text, \(syncPrefix))
        """
    }

    static func dropSlot(_ name: String) -> PostgresQuery {
        "SELECT pg_drop_replication_slot(\(name))"
    }

    static func subscriptionOID(_ name: String) -> PostgresQuery {
        "SELECT oid::int8 FROM pg_subscription WHERE subname = \(name) AND subdbid = \(unescaped: thisDatabase)"
    }

    static func createSubscriptionStatement(_ name: String, conninfo: String, publication: String, slot: String) -> PostgresQuery {
        """
        SELECT format('CREATE SUBSCRIPTION %I CONNECTION %L PUBLICATION %I WITH (create_slot = false, slot_name = %L, copy_data = true)',
                      \(name)::text, \(conninfo)::text, \(publication)::text, \(slot)::text)
        """
    }

    static func disableSubscriptionStatement(_ name: String) -> PostgresQuery {
        "SELECT format('ALTER SUBSCRIPTION %I DISABLE', \(name)::text)"
    }

    /// Dropping a subscription that names no slot leaves the source alone (its slots are
    /// dropped from the source's side, where they are).
    static func detachSubscriptionSlotStatement(_ name: String) -> PostgresQuery {
        "SELECT format('ALTER SUBSCRIPTION %I SET (slot_name = NONE)', \(name)::text)"
    }

    static func dropSubscriptionStatement(_ name: String) -> PostgresQuery {
        "SELECT format('DROP SUBSCRIPTION IF EXISTS %I', \(name)::text)"
    }

    /// Tables of the subscription not yet copied and streaming (`r`, ready).
    static func subscriptionTablesCopying(_ name: String) -> PostgresQuery {
        """
        SELECT count(*)::int FROM pg_subscription_rel r JOIN pg_subscription s ON s.oid = r.srsubid
        WHERE s.subname = \(name) AND s.subdbid = \(unescaped: thisDatabase) AND r.srsubstate <> 'r'
        """
    }

    /// Workers of the subscription still running (after `DISABLE` they stop on their own).
    static func subscriptionWorkers(_ name: String) -> PostgresQuery {
        """
        SELECT count(*)::int FROM pg_stat_subscription st JOIN pg_subscription s ON s.oid = st.subid
        WHERE s.subname = \(name) AND s.subdbid = \(unescaped: thisDatabase) AND st.pid IS NOT NULL
        """
    }

    /// A write of the store's own, on the source, whose arrival on the target says that
    /// everything committed before it has arrived too (a subscription applies in commit order).
    /// The catalog version is what caches key on; one more only makes them read again.
    static func bumpReplicationMarker(_ schema: SchemaName) -> PostgresQuery {
        PostgresQuery(unsafeSQL: "UPDATE \(schema.rawValue).settings SET catalog_version = catalog_version + 1 RETURNING catalog_version")
    }

    static func replicationMarker(_ schema: SchemaName) -> PostgresQuery {
        PostgresQuery(unsafeSQL: "SELECT catalog_version FROM \(schema.rawValue).settings")
    }

    /// Sequences of the schema with the last value handed out (nil: none yet).
    static func sequenceValues(_ schema: SchemaName) -> PostgresQuery {
        "SELECT sequencename::text, last_value FROM pg_sequences WHERE schemaname = \(schema.rawValue) ORDER BY 1"
    }

    static func setSequence(_ schema: SchemaName, _ sequence: String, to value: Int64) -> PostgresQuery {
        "SELECT setval(format('%I.%I', \(schema.rawValue)::text, \(sequence)::text)::regclass, \(value), true)"
    }

    /// Rows of each table of the schema digested in a fixed order (to compare two copies).
    static func tableDigestStatements(_ schema: SchemaName) -> PostgresQuery {
        """
        SELECT c.relname::text, format('SELECT md5(coalesce(string_agg(t::text, %L ORDER BY t::text), %L)) FROM %I.%I t', E'\\n', '', n.nspname, c.relname)
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = \(schema.rawValue) AND c.relkind IN ('r', 'p') ORDER BY 1
        """
    }
}
