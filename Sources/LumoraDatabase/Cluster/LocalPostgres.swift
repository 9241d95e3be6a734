import LumoraProcess
import Foundation
import Logging
import PostgresNIO
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Lumora's own PostgreSQL cluster, for a machine with the server programs and no
/// `DATABASE_URL`: `initdb` into a data folder on first use, start on a free loopback port,
/// stop cleanly, reuse the folder (and a server already running from it) the next time.
///
/// The server runs under a small shell watchdog whose stdin is a pipe from this process. When
/// the pipe closes — on `stop()` or because this process died, even by SIGKILL — the watchdog
/// asks PostgreSQL for a fast shutdown, so no server outlives the program that started it.
public final class LocalPostgres: Sendable {
    public let dataDirectory: URL
    /// The bootstrap superuser's URL: for making databases and roles, nothing else.
    public let superuserURL: DatabaseURL
    private let server: ServerProcess?

    /// The `lumora` database as the owner role (manager, migrations, operator commands).
    public var url: DatabaseURL { url(for: .owner) }

    /// The `lumora` database as `role`.
    public func url(for role: PlatformRole) -> DatabaseURL {
        role.url(from: superuserURL, seed: superuserURL.password ?? "")
    }

    /// Whether this process started the server (and so stops it).
    public var ownsServer: Bool { server != nil }

    public static let databaseName = "lumora"
    static let superuser = "lumora"
    static let passwordFile = "lumora.password"

    private init(dataDirectory: URL, superuserURL: DatabaseURL, server: ServerProcess?) {
        self.dataDirectory = dataDirectory
        self.superuserURL = superuserURL
        self.server = server
    }

    /// Starts (or joins) the cluster in `dataDirectory`. An `ephemeral` cluster trades
    /// durability for speed (no fsync) and deletes `removeOnExit` when the server stops.
    public static func start(
        dataDirectory: URL,
        ephemeral: Bool = false,
        removeOnExit: URL? = nil,
        logger: Logger
    ) async throws -> LocalPostgres {
        let binaries = try PostgresBinaries.locate()
        let account = try ServerAccount.current()
        let directory = dataDirectory.standardizedFileURL
        try await account.prepare(directory: directory)

        let passwordURL = directory.appendingPathComponent(passwordFile)
        let password: String
        if !FileManager.default.fileExists(atPath: directory.appendingPathComponent("PG_VERSION").path) {
            password = try await initialize(directory, binaries: binaries, account: account, logger: logger)
            try PrivateFile.create(passwordURL, contents: Data(password.utf8))
        } else if let stored = try? String(contentsOf: passwordURL, encoding: .utf8) {
            password = stored.trimmingCharacters(in: .whitespacesAndNewlines)
        } else {
            throw LocalPostgresError.foreignCluster(directory.path)
        }

        func url(port: Int) -> DatabaseURL {
            DatabaseURL(host: "127.0.0.1", port: port, username: superuser, password: password,
                        database: databaseName, tlsMode: .disable)
        }

        if let running = PostmasterStatus.read(directory), running.isReady, running.isAlive {
            logger.debug("joining the PostgreSQL server already running", metadata: ["port": "\(running.port)"])
            let cluster = LocalPostgres(dataDirectory: directory, superuserURL: url(port: running.port), server: nil)
            try await cluster.prepareRoles(logger: logger)
            return cluster
        }

        var lastFailure: (any Error)?
        for _ in 0..<3 {
            let port = try FreePort.pick()
            let server = try ServerProcess.launch(
                binaries: binaries, account: account, dataDirectory: directory, port: port,
                ephemeral: ephemeral, removeOnExit: removeOnExit)
            do {
                try await server.waitUntilReady(port: port)
                let cluster = LocalPostgres(dataDirectory: directory, superuserURL: url(port: port), server: server)
                try await cluster.createDatabaseIfMissing(logger: logger)
                try await cluster.prepareRoles(logger: logger)
                logger.debug("PostgreSQL started", metadata: ["port": "\(port)", "data": "\(directory.path)"])
                return cluster
            } catch {
                lastFailure = error
                await server.stop()
                // Another program may have taken the port between picking and binding it.
                guard server.logTail().contains("could not bind") else { break }
            }
        }
        throw lastFailure ?? LocalPostgresError.serverDidNotStart("")
    }

    /// Fast shutdown of a server this process started; nothing for a joined one.
    public func stop() async {
        await server?.stop()
    }

    /// The platform's login roles, and the `lumora` database handed to the owner.
    private func prepareRoles(logger: Logger) async throws {
        try await PlatformRoles.bootstrap(admin: superuserURL, seed: superuserURL.password ?? "", database: Self.databaseName, logger: logger)
    }

    private func createDatabaseIfMissing(logger: Logger) async throws {
        let maintenance = superuserURL.database("postgres").clientConfiguration(maximumConnections: 1)
        try await PostgresClient.withRunning(maintenance, logger: logger) { client in
            let rows = try await client.query("SELECT 1 FROM pg_database WHERE datname = \(Self.databaseName)")
            var exists = false
            for try await _ in rows { exists = true }
            if !exists {
                try await client.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(Self.databaseName)"))
            }
        }
    }

    private static func initialize(_ directory: URL, binaries: PostgresBinaries, account: ServerAccount, logger: Logger) async throws -> String {
        logger.info("creating a PostgreSQL cluster", metadata: ["data": "\(directory.path)"])
        let password = randomHex(bytes: 18)
        // initdb reads the password from a file the server account can read; it lives only
        // for the duration of the call.
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("lumora-initdb-\(randomHex(bytes: 6))")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        defer { try? FileManager.default.removeItem(at: scratch) }
        let pwfile = scratch.appendingPathComponent("pw")
        try PrivateFile.create(pwfile, contents: Data(password.utf8))
        try account.give(scratch)
        try account.give(pwfile)

        try await account.run(binaries.initdb, [
            "-D", directory.path, "-U", superuser, "--pwfile=\(pwfile.path)",
            "--auth=scram-sha-256", "--encoding=UTF8", "--locale=C", "--no-instructions",
        ])
        return password
    }
}

func randomHex(bytes: Int) -> String {
    var generator = SystemRandomNumberGenerator()
    return (0..<bytes).map { _ in
        let byte = UInt8.random(in: 0...255, using: &generator)
        return String(byte >> 4, radix: 16) + String(byte & 0xF, radix: 16)
    }.joined()
}

/// The OS account the server runs as: ourselves, or `postgres` when we are root.
struct ServerAccount: Sendable {
    /// nil: run as the current user.
    let postgresUser: (uid: uid_t, gid: gid_t)?

    static func current() throws(LocalPostgresError) -> ServerAccount {
        guard geteuid() == 0 else { return ServerAccount(postgresUser: nil) }
        guard let entry = getpwnam("postgres") else { throw .noPostgresUser }
        return ServerAccount(postgresUser: (entry.pointee.pw_uid, entry.pointee.pw_gid))
    }

    /// The command prefix that drops to the server account, as `setpriv` does (it execs, so
    /// the server keeps the pid we signal).
    var prefix: [String] {
        guard postgresUser != nil else { return [] }
        return ["setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups", "--"]
    }

    func prepare(directory: URL) async throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        chmod(directory.path, 0o700)
        guard postgresUser != nil else { return }
        try give(directory)
        do {
            try await run(URL(fileURLWithPath: "/usr/bin/test"), ["-w", directory.path])
        } catch {
            throw LocalPostgresError.unreachableByPostgresUser(directory.path)
        }
    }

    func give(_ url: URL) throws {
        guard let (uid, gid) = postgresUser else { return }
        guard chown(url.path, uid, gid) == 0 else {
            throw LocalPostgresError.commandFailed("chown \(url.path)", status: errno, output: String(cString: strerror(errno)))
        }
    }

    /// Runs a program as the server account and waits; throws with its output on failure.
    func run(_ program: URL, _ arguments: [String]) async throws {
        let (status, output) = try await ChildProcess.run(prefix + [program.path] + arguments)
        guard status == 0 else {
            throw LocalPostgresError.commandFailed(program.lastPathComponent, status: status, output: output)
        }
    }
}

/// `postmaster.pid`: the server's pid, port and state, as PostgreSQL writes them.
struct PostmasterStatus {
    let pid: pid_t
    let port: Int
    let state: String

    var isReady: Bool { state == "ready" }

    var isAlive: Bool { kill(pid, 0) == 0 || errno == EPERM }

    static func read(_ directory: URL) -> PostmasterStatus? {
        guard let text = try? String(contentsOf: directory.appendingPathComponent("postmaster.pid"), encoding: .utf8) else {
            return nil
        }
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map {
            $0.trimmingCharacters(in: .whitespaces)
        }
        guard lines.count >= 8, let pid = pid_t(lines[0]), let port = Int(lines[3]) else { return nil }
        return PostmasterStatus(pid: pid, port: port, state: lines[7])
    }
}
