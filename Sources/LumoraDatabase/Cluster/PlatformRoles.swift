import Crypto
import Foundation
import Logging
import LumoraCore
import PostgresNIO

/// The PostgreSQL roles Lumora's processes log in as — none of them a superuser:
///
/// - `lumora_owner` (the manager, migrations, operator commands): owns the database and every
///   schema in it, and may create roles (a store role per store schema);
/// - `lumora_cell` (cells): `NOINHERIT`, able to do nothing itself but read the routing table and
///   become a store role, which every store transaction does first;
/// - `lumora_edge` (edges): reads the routing table, nothing else.
///
/// On Lumora's own cluster they are made at start with passwords derived from the cluster's;
/// on another server its administrator makes them (docs/DEPLOY.md) and the URLs say which is which.
public enum PlatformRole: String, CaseIterable, Sendable {
    case owner = "lumora_owner"
    case cell = "lumora_cell"
    case edge = "lumora_edge"

    var attributes: String {
        switch self {
        case .owner: return "LOGIN CREATEROLE NOSUPERUSER NOCREATEDB"
        case .cell: return "LOGIN NOINHERIT NOSUPERUSER NOCREATEDB NOCREATEROLE"
        case .edge: return "LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE"
        }
    }

    /// The role's password on a server whose administrator password is `seed`: anyone who can
    /// administer the server can work it out, nobody else can.
    public func password(seed: String) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: Data("lumora-role|\(rawValue)".utf8), using: SymmetricKey(data: Data(seed.utf8)))
        return Hex.lowercase(mac.prefix(20))
    }

    /// `admin`'s server and database, logged in as this role.
    public func url(from admin: DatabaseURL, seed: String) -> DatabaseURL {
        var url = admin
        url.username = rawValue
        url.password = password(seed: seed)
        return url
    }
}

public enum PlatformRoles {
    /// Makes the login roles (or brings their attributes and passwords up to date) on the server
    /// `admin` administers, and hands `database` (if any) — with everything in it — to the owner.
    public static func bootstrap(admin: DatabaseURL, seed: String, database: String?, logger: Logger) async throws {
        try await PostgresClient.withRunning(admin.database("postgres").clientConfiguration(maximumConnections: 1), logger: logger) { client in
            for role in PlatformRole.allCases {
                let password = role.password(seed: seed)
                // Utility statements take no bind parameters: the name is ours and the password hex.
                precondition(password.utf8.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) })
                let exists = try await client.query("SELECT 1 FROM pg_roles WHERE rolname = \(role.rawValue)", logger: logger).hasRows()
                let verb = exists ? "ALTER" : "CREATE"
                do {
                    try await client.query(PostgresQuery(unsafeSQL: "\(verb) ROLE \(role.rawValue) WITH \(role.attributes) PASSWORD '\(password)'"),
                                           logger: logger).drain()
                } catch where error.hasSQLState(.duplicateObject) || error.hasSQLState(.uniqueViolation) {
                    // Another process made it a moment ago: bring it in line.
                    try await client.query(PostgresQuery(unsafeSQL: "ALTER ROLE \(role.rawValue) WITH \(role.attributes) PASSWORD '\(password)'"),
                                           logger: logger).drain()
                }
            }
        }
        if let database { try await handOver(admin.database(database), logger: logger) }
    }

    /// Drops the store roles of `database` (after it was dropped: roles outlive databases).
    public static func dropStoreRoles(ofDatabase database: String, admin: DatabaseURL, logger: Logger) async throws {
        try await PostgresClient.withRunning(admin.database("postgres").clientConfiguration(maximumConnections: 1), logger: logger) { client in
            let suffix = "_" + Hex.lowercase(SHA256.hash(data: Data(database.utf8)).prefix(4))
            let roles = try await client.query("SELECT rolname FROM pg_roles WHERE right(rolname, 9) = \(suffix) AND NOT rolcanlogin",
                                               logger: logger).collect(String.self)
            for role in roles where role.utf8.allSatisfy({ ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x5F }) {
                try await client.query(PostgresQuery(unsafeSQL: "DROP ROLE IF EXISTS \(role)"), logger: logger).drain()
            }
        }
    }

    /// Makes the owner role own `database` and every schema, table, sequence and function the
    /// bootstrap superuser made in it (a data folder from before the owner role existed).
    static func handOver(_ url: DatabaseURL, logger: Logger) async throws {
        try await PostgresClient.withRunning(url.clientConfiguration(maximumConnections: 1), logger: logger) { client in
            let owner = try await client.query("SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = current_database()", logger: logger)
                .collect(String.self).first
            guard owner != PlatformRole.owner.rawValue else { return }
            try await client.query(PostgresQuery(unsafeSQL: handOverScript), logger: logger).drain()
        }
    }

    private static let handOverScript = """
        DO $$
        DECLARE
            item record;
        BEGIN
            EXECUTE format('ALTER DATABASE %I OWNER TO lumora_owner', current_database());
            FOR item IN SELECT nspname FROM pg_namespace
                WHERE nspowner = (SELECT oid FROM pg_roles WHERE rolname = current_user)
                  AND nspname NOT LIKE 'pg\\_%' AND nspname NOT IN ('information_schema', 'public') LOOP
                EXECUTE format('ALTER SCHEMA %I OWNER TO lumora_owner', item.nspname);
            END LOOP;
            FOR item IN SELECT c.oid::regclass AS name, c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                WHERE c.relowner = (SELECT oid FROM pg_roles WHERE rolname = current_user) AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
                  AND n.nspname NOT LIKE 'pg\\_%' AND n.nspname <> 'information_schema' LOOP
                EXECUTE format('ALTER TABLE %s OWNER TO lumora_owner', item.name);
            END LOOP;
            FOR item IN SELECT p.oid::regprocedure AS name FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
                WHERE p.proowner = (SELECT oid FROM pg_roles WHERE rolname = current_user)
                  AND n.nspname NOT LIKE 'pg\\_%' AND n.nspname <> 'information_schema' LOOP
                EXECUTE format('ALTER ROUTINE %s OWNER TO lumora_owner', item.name);
            END LOOP;
        END $$
        """
}
