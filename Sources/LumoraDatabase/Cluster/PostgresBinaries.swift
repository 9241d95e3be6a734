import Foundation

/// The PostgreSQL server programs Lumora needs to run its own cluster.
public struct PostgresBinaries: Sendable, Equatable {
    public let directory: URL

    public var initdb: URL { directory.appendingPathComponent("initdb") }
    public var postgres: URL { directory.appendingPathComponent("postgres") }
    public var psql: URL { directory.appendingPathComponent("psql") }

    /// Finds `initdb` and `postgres`: `LUMORA_PG_BIN`, then Debian's versioned folders (newest
    /// first), then the usual install prefixes and `PATH`.
    public static func locate(environment: [String: String] = ProcessInfo.processInfo.environment) throws(LocalPostgresError) -> PostgresBinaries {
        var candidates: [String] = []
        if let explicit = environment["LUMORA_PG_BIN"], !explicit.isEmpty { candidates.append(explicit) }
        let debianRoot = "/usr/lib/postgresql"
        if let versions = try? FileManager.default.contentsOfDirectory(atPath: debianRoot) {
            let newestFirst = versions.compactMap { Int($0) }.sorted(by: >)
            candidates += newestFirst.map { "\(debianRoot)/\($0)/bin" }
        }
        candidates += ["/usr/local/pgsql/bin", "/opt/homebrew/bin", "/usr/local/bin", "/usr/bin"]
        candidates += (environment["PATH"] ?? "").split(separator: ":").map(String.init)

        for folder in candidates {
            let url = URL(fileURLWithPath: folder, isDirectory: true)
            let binaries = PostgresBinaries(directory: url)
            if FileManager.default.isExecutableFile(atPath: binaries.initdb.path),
               FileManager.default.isExecutableFile(atPath: binaries.postgres.path) {
                return binaries
            }
        }
        throw .binariesMissing
    }
}

public enum LocalPostgresError: Error, CustomStringConvertible {
    case binariesMissing
    case noPostgresUser
    case unreachableByPostgresUser(String)
    case foreignCluster(String)
    case commandFailed(String, status: Int32, output: String)
    case serverDidNotStart(String)

    public var description: String {
        switch self {
        case .binariesMissing:
            return """
                PostgreSQL server programs (initdb, postgres) were not found. Install the server: \
                `apt-get install postgresql` (Debian/Ubuntu) or `brew install postgresql@16` (macOS), \
                or set LUMORA_PG_BIN to their folder, or set DATABASE_URL to an existing server.
                """
        case .noPostgresUser:
            return "PostgreSQL refuses to run as root and there is no 'postgres' user to run it as; create one (`useradd -r postgres`) or run as an ordinary user."
        case .unreachableByPostgresUser(let path):
            return "the 'postgres' user cannot reach \(path) (a parent folder is private); choose a --data-dir it can reach, e.g. under /var/tmp"
        case .foreignCluster(let path):
            return "\(path) holds a PostgreSQL cluster that Lumora did not create (no lumora.password); choose another --data-dir or set DATABASE_URL"
        case .commandFailed(let command, let status, let output):
            return "\(command) failed with status \(status): \(output)"
        case .serverDidNotStart(let log):
            return "PostgreSQL did not start. Last lines of its log:\n\(log)"
        }
    }
}
