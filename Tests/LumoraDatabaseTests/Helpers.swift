import Logging
import LumoraCore
import LumoraDatabase
import LumoraTestSupport
import PostgresNIO

func slug(_ raw: String) throws -> StoreSlug { try StoreSlug(validating: raw) }

extension TestDatabase {
    /// A store directory on this database with the shipped store migrations, plus `extra`.
    func directory(_ client: PostgresClient, extra: [Migration] = []) throws -> StoreDirectory {
        StoreDirectory(client: client, migrations: try MigrationSet.store().appending(extra), logger: logger)
    }

    @discardableResult
    func createStores(_ client: PostgresClient, count: Int, prefix: String = "shop") async throws -> [StoreSlug] {
        let directory = try directory(client)
        var slugs: [StoreSlug] = []
        for index in 0..<count {
            let slug = try slug("\(prefix)-\(index)")
            _ = try await directory.create(try NewStore(slug: slug, name: "Shop \(index)"))
            slugs.append(slug)
        }
        return slugs
    }
}

extension PostgresClient {
    func schemaVersions() async throws -> [String: Int] {
        var versions: [String: Int] = [:]
        for try await (name, version) in try await query("SELECT schema_name, version FROM lumora.store_schemas").decode((String, Int).self) {
            versions[name] = version
        }
        return versions
    }

    func schemaExists(_ name: String) async throws -> Bool {
        try await scalar("SELECT count(*)::int FROM pg_namespace WHERE nspname = \(name)", as: Int.self) == 1
    }

    func columnExists(schema: String, table: String, column: String) async throws -> Bool {
        try await scalar("""
            SELECT count(*)::int FROM information_schema.columns
            WHERE table_schema = \(schema) AND table_name = \(table) AND column_name = \(column)
            """, as: Int.self) == 1
    }
}
