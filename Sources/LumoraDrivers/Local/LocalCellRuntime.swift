import AsyncHTTPClient
import CLumoraSystem
import Foundation
import Logging
import LumoraCore
import LumoraDatabase
import LumoraProcess
import PostgresNIO
import Synchronization

/// Cells as `lumora cell` processes on this machine, on loopback ports they bind themselves.
///
/// What runs is recorded in `lumora.cells` (endpoint, pid, binary, host), so a restarted
/// manager adopts cells that are still up instead of starting duplicates, and restarts the
/// ones that died. A crashed cell is restarted with backoff. Changing a cell's version starts
/// the new process beside the old one, switches the route once it is ready (the edge follows
/// through the `lumora.cells` notification), lets the old one drain, then stops it.
public final class LocalCellRuntime: CellRuntime {
    public struct Configuration: Sendable {
        public var database: DatabaseURL
        public var signingSecret: String
        /// Identifies this machine in `lumora.cells` (only cells of this host are adopted).
        public var hostName: String
        /// Cells exit when the manager's process does (a developer's machine); otherwise they
        /// keep serving and are adopted by the next manager.
        public var tieCellsToManager: Bool
        /// Extra `lumora cell` arguments for the shared cell (limits, say).
        public var sharedCellArguments: [String]
        /// Extra `lumora cell` arguments for every dedicated cell.
        public var dedicatedCellArguments: [String] = []
        public var logDirectory: URL?
        public var readyTimeout: Duration
        /// How long a replaced cell keeps serving requests routed to it before it is stopped.
        public var drainTime: Duration
        /// Set in every cell's environment besides the database and the secret (where store
        /// media go: `LUMORA_MEDIA_DIR`, `LUMORA_MEDIA_BUCKET`).
        public var environment: [String: String]

        public init(database: DatabaseURL, signingSecret: String, hostName: String = ProcessInfo.processInfo.hostName,
                    tieCellsToManager: Bool = false, sharedCellArguments: [String] = [], logDirectory: URL? = nil,
                    readyTimeout: Duration = .seconds(30), drainTime: Duration = .seconds(2), environment: [String: String] = [:]) {
            self.database = database
            self.signingSecret = signingSecret
            self.hostName = hostName
            self.tieCellsToManager = tieCellsToManager
            self.sharedCellArguments = sharedCellArguments
            self.logDirectory = logDirectory
            self.readyTimeout = readyTimeout
            self.drainTime = drainTime
            self.environment = environment
        }
    }

    private struct Managed {
        var spec: CellSpec
        var pid: pid_t
        var port: Int
        var process: ChildProcess?
        var lifeline: Int32?
        var generation: UInt64
    }

    private let configuration: Configuration
    private let client: PostgresClient
    private let logger: Logger
    private let cells = Mutex<[String: Managed]>([:])
    private let generations = Mutex<UInt64>(0)
    private let locks = KeyedLock()
    private let stopping = Mutex(false)

    public init(configuration: Configuration, client: PostgresClient, logger: Logger) {
        self.configuration = configuration
        self.client = client
        self.logger = logger
    }

    // MARK: CellRuntime

    public func ensure(_ spec: CellSpec) async throws -> RunningCell {
        try await locks.withLock(spec.id) {
            if let managed = cells.withLock({ $0[spec.id] }), managed.spec.version == spec.version, Self.isAlive(managed.pid),
               await isReady(port: managed.port) {
                return running(spec, port: managed.port)
            }
            if let row = try await record(spec.id), row.host == configuration.hostName, let pid = row.pid, Self.isAlive(pid), Self.isCell(pid, id: spec.id),
               let port = row.port, row.version == spec.version.name, await isReady(port: port) {
                adopt(spec, pid: pid, port: port)
                return running(spec, port: port)
            }
            return try await replace(spec)
        }
    }

    public func stop(id: String) async throws {
        try await locks.withLock(id) {
            let managed = cells.withLock { $0.removeValue(forKey: id) }
            var pid = managed?.pid
            if pid == nil, let row = try await record(id), row.host == configuration.hostName, let recorded = row.pid,
               Self.isCell(recorded, id: id) {
                pid = recorded
            }
            if let pid { await terminate(pid: pid, process: managed?.process, lifeline: managed?.lifeline) }
            try await client.query(DriverSQL.deleteCell(id: id), logger: logger).drain()
        }
    }

    public func recover() async throws {
        for row in try await records() where row.host == configuration.hostName && row.runtime == "local" {
            // A replacement that never took over, a replaced process that never finished
            // draining: the manager died in between. Stop them; the recorded process stays.
            for abandoned in [row.nextPID, row.previousPID].compactMap({ $0 })
            where abandoned != row.pid && Self.isAlive(abandoned) && Self.isCell(abandoned, id: row.id) {
                logger.info("stopping an abandoned cell process", metadata: ["cell": "\(row.id)", "pid": "\(abandoned)"])
                await terminate(pid: abandoned, process: nil, lifeline: nil)
            }
            try? await client.query(DriverSQL.forgetNext(id: row.id), logger: logger).drain()
            try? await client.query(DriverSQL.forgetPrevious(id: row.id), logger: logger).drain()
            guard let spec = row.spec else { continue }
            do {
                _ = try await ensure(spec)
            } catch {
                logger.error("could not recover cell", metadata: ["cell": "\(row.id)", "error": "\(error)"])
                try? await client.query(DriverSQL.markCell(id: row.id, status: "failed", error: "\(error)"), logger: logger).drain()
            }
        }
    }

    public func shutdown(stopCells: Bool) async {
        stopping.withLock { $0 = true }
        guard stopCells else { return }
        let all = cells.withLock { cells -> [Managed] in
            defer { cells.removeAll() }
            return Array(cells.values)
        }
        await withTaskGroup(of: Void.self) { group in
            for managed in all {
                group.addTask { await self.terminate(pid: managed.pid, process: managed.process, lifeline: managed.lifeline) }
            }
        }
        for managed in all {
            try? await client.query(DriverSQL.markCell(id: managed.spec.id, status: "stopped", error: nil), logger: logger).drain()
        }
    }

    /// The cells this runtime supervises right now (for tests and `/v1/cells`).
    public var supervised: [String: pid_t] {
        cells.withLock { $0.mapValues(\.pid) }
    }

    // MARK: Starting, replacing, supervising

    /// Starts `spec` (beside the old process, if one runs), switches the route to it once
    /// ready, then drains and stops the old one.
    private func replace(_ spec: CellSpec) async throws -> RunningCell {
        let previous = cells.withLock { $0[spec.id] }
        let previousRow = previous == nil ? try await record(spec.id) : nil
        try await client.query(DriverSQL.upsertStarting(spec: spec, host: configuration.hostName), logger: logger).drain()
        let started = try await start(spec)
        try await client.query(DriverSQL.markReady(id: spec.id, endpoint: endpoint(started.port), pid: started.pid,
                                                   version: spec.version.name, binary: spec.version.binary), logger: logger).drain()
        let generation = nextGeneration()
        cells.withLock { $0[spec.id] = Managed(spec: spec, pid: started.pid, port: started.port, process: started.process,
                                                 lifeline: started.lifeline, generation: generation) }
        supervise(spec.id, generation: generation, process: started.process)
        if let previous, previous.pid != started.pid {
            try? await Task.sleep(for: configuration.drainTime)
            await terminate(pid: previous.pid, process: previous.process, lifeline: previous.lifeline)
        } else if let row = previousRow, row.host == configuration.hostName, let pid = row.pid, pid != started.pid, Self.isAlive(pid) {
            try? await Task.sleep(for: configuration.drainTime)
            await terminate(pid: pid, process: nil, lifeline: nil)
        }
        try? await client.query(DriverSQL.forgetPrevious(id: spec.id), logger: logger).drain()
        logger.info("cell ready", metadata: ["cell": "\(spec.id)", "version": "\(spec.version.name)", "port": "\(started.port)"])
        return running(spec, port: started.port)
    }

    private struct Started {
        let process: ChildProcess
        let pid: pid_t
        let port: Int
        let lifeline: Int32?
    }

    private func start(_ spec: CellSpec) async throws -> Started {
        var lastError: (any Error)?
        for _ in 0..<3 {
            // Port 0: the cell binds any free port and writes it here once it listens, so no
            // port is picked beforehand that another process could take first.
            let portFile = (configuration.logDirectory ?? FileManager.default.temporaryDirectory)
                .appendingPathComponent(".\(spec.id)-\(UInt32.random(in: 0...UInt32.max)).port")
            defer { try? FileManager.default.removeItem(at: portFile) }
            var arguments = [spec.version.binary ?? CommandLine.arguments[0], "cell", "--port", "0", "--port-file", portFile.path,
                             "--cell-id", spec.id]
            switch spec.kind {
            case .shared: arguments += ["--shared"] + configuration.sharedCellArguments
            case .dedicated: arguments += ["--store", spec.store?.rawValue ?? ""] + configuration.dedicatedCellArguments
            }
            var environment = ProcessInfo.processInfo.environment.merging(configuration.environment) { _, given in given }
            // Secrets go in the environment, which only the cell's own user can read; `ps` shows
            // every process's arguments to everyone.
            environment["DATABASE_URL"] = configuration.database.string
            environment["LUMORA_EDGE_SECRET"] = configuration.signingSecret
            environment["LUMORA_VERSION"] = spec.version.name
            environment["LUMORA_LOG_LEVEL"] = environment["LUMORA_CELL_LOG_LEVEL"] ?? "warning"
            var lifeline: (read: Int32, write: Int32)?
            if configuration.tieCellsToManager {
                var fds: [Int32] = [0, 0]
                guard lumora_pipe_cloexec(&fds) == 0 else { throw LumoraError.internalError("pipe failed") }
                lifeline = (fds[0], fds[1])
                arguments.append("--lifeline")
            }
            let output: ChildProcess.Output = configuration.logDirectory.map { .file($0.appendingPathComponent("\(spec.id).log")) } ?? .null
            let process: ChildProcess
            do {
                process = try ChildProcess.spawn(arguments, environment: environment, standardInput: lifeline?.read,
                                                 standardOutput: output, standardError: output, newProcessGroup: true)
            } catch {
                if let lifeline { close(lifeline.read); close(lifeline.write) }
                throw error
            }
            if let lifeline { close(lifeline.read) }
            try? await client.query(DriverSQL.recordNext(id: spec.id, pid: process.pid, endpoint: nil), logger: logger).drain()
            if let port = await PortFile.wait(for: portFile, process: process, timeout: configuration.readyTimeout) {
                try? await client.query(DriverSQL.recordNext(id: spec.id, pid: process.pid, endpoint: endpoint(port)), logger: logger).drain()
                if await waitUntilReady(port: port, process: process) {
                    return Started(process: process, pid: process.pid, port: port, lifeline: lifeline?.write)
                }
            }
            lastError = LumoraError(.unavailable, code: "cell_not_ready", message: "cell \(spec.id) (\(spec.version.name)) did not become ready")
            await terminate(pid: process.pid, process: process, lifeline: lifeline?.write)
        }
        throw lastError ?? LumoraError.internalError("cell did not start")
    }

    /// Restarts a cell that exits while it should run, with backoff (1 s, 2 s, … 30 s).
    private func supervise(_ id: String, generation: UInt64, process: ChildProcess?) {
        Task {
            var delay = Duration.seconds(1)
            var watched = process
            var pid = process?.pid ?? cells.withLock { $0[id]?.pid } ?? 0
            while true {
                if let watched {
                    await watched.waitForExit()
                } else {
                    while Self.isAlive(pid) { try? await Task.sleep(for: .seconds(1)) }
                }
                guard !stopping.withLock({ $0 }), let managed = cells.withLock({ $0[id] }), managed.generation == generation else { return }
                logger.warning("cell exited; restarting", metadata: ["cell": "\(id)", "in": "\(delay)"])
                try? await client.query(DriverSQL.markCell(id: id, status: "starting", error: "exited unexpectedly"), logger: logger).drain()
                try? await Task.sleep(for: delay)
                delay = min(delay * 2, .seconds(30))
                do {
                    let started = try await locks.withLock(id) { () -> Started? in
                        guard let current = cells.withLock({ $0[id] }), current.generation == generation else { return nil }
                        let started = try await start(current.spec)
                        try await client.query(DriverSQL.markReady(id: id, endpoint: endpoint(started.port), pid: started.pid,
                                                                   version: current.spec.version.name, binary: current.spec.version.binary),
                                               logger: logger).drain()
                        try await client.query(DriverSQL.forgetPrevious(id: id), logger: logger).drain()
                        cells.withLock { $0[id] = Managed(spec: current.spec, pid: started.pid, port: started.port, process: started.process,
                                                          lifeline: started.lifeline, generation: generation) }
                        return started
                    }
                    guard let started else { return }
                    watched = started.process
                    pid = started.pid
                    delay = .seconds(1)
                } catch {
                    logger.error("cell restart failed", metadata: ["cell": "\(id)", "error": "\(error)"])
                }
            }
        }
    }

    private func adopt(_ spec: CellSpec, pid: pid_t, port: Int) {
        let generation = nextGeneration()
        cells.withLock { $0[spec.id] = Managed(spec: spec, pid: pid, port: port, process: nil, lifeline: nil, generation: generation) }
        supervise(spec.id, generation: generation, process: nil)
        logger.info("adopted running cell", metadata: ["cell": "\(spec.id)", "pid": "\(pid)", "port": "\(port)"])
    }

    /// SIGTERM (the cell finishes in-flight requests), SIGKILL after 15 s.
    private func terminate(pid: pid_t, process: ChildProcess?, lifeline: Int32?) async {
        if let lifeline { close(lifeline) }
        kill(pid, SIGTERM)
        let deadline = ContinuousClock.now + .seconds(15)
        while Self.isAlive(pid) && ContinuousClock.now < deadline {
            if let process {
                _ = try? await withTimeout(.milliseconds(200)) { await process.waitForExit() }
            } else {
                try? await Task.sleep(for: .milliseconds(50))
            }
        }
        if Self.isAlive(pid) { kill(pid, SIGKILL) }
        if let process { await process.waitForExit() }
    }

    private func waitUntilReady(port: Int, process: ChildProcess) async -> Bool {
        let deadline = ContinuousClock.now + configuration.readyTimeout
        while ContinuousClock.now < deadline {
            if process.hasExited { return false }
            if await isReady(port: port) { return true }
            try? await Task.sleep(for: .milliseconds(50))
        }
        return false
    }

    private func isReady(port: Int) async -> Bool {
        let request = HTTPClientRequest(url: endpoint(port) + "/ready")
        return (try? await HTTPClient.shared.execute(request, timeout: .seconds(2)).status) == .ok
    }

    private func endpoint(_ port: Int) -> String { "http://127.0.0.1:\(port)" }

    private func running(_ spec: CellSpec, port: Int) -> RunningCell {
        RunningCell(id: spec.id, endpoint: endpoint(port), version: spec.version.name)
    }

    private func nextGeneration() -> UInt64 {
        generations.withLock { value in
            value += 1
            return value
        }
    }

    /// Whether `pid` is a `lumora cell` serving cell `id` (pids are reused: never signal a
    /// stranger).
    static func isCell(_ pid: pid_t, id: String) -> Bool {
        guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return false }
        let arguments = data.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
        return arguments.contains("cell") && arguments.contains(id)
    }

    static func isAlive(_ pid: pid_t) -> Bool {
        guard pid > 0 else { return false }
        if kill(pid, 0) != 0 && errno != EPERM { return false }
        // A zombie (exited, not yet reaped by its parent) is not alive.
        if let status = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
           let close = status.lastIndex(of: ")"), status.index(close, offsetBy: 2) < status.endIndex {
            return status[status.index(close, offsetBy: 2)] != "Z"
        }
        return true
    }

    // MARK: Records

    struct CellRecord {
        let id: String
        let kind: String
        let store: String?
        let endpoint: String?
        let version: String
        let status: String
        let runtime: String
        let pid: pid_t?
        let host: String?
        let binary: String?
        let nextPID: pid_t?
        let previousPID: pid_t?

        var port: Int? { endpoint.flatMap { URLComponents(string: $0)?.port } }

        var spec: CellSpec? {
            let version = CellVersion(name: version, binary: binary)
            if kind == "shared" { return .shared(id: id, version: version) }
            guard let store, let slug = try? StoreSlug(validating: store) else { return nil }
            return .dedicated(slug, version: version)
        }
    }

    private typealias CellRow = (String, String, String?, String?, String, String, String, Int32?, String?, String?, Int32?, Int32?)

    private static func cellRecord(_ row: CellRow) -> CellRecord {
        let pid: pid_t? = row.7.map { pid_t($0) }
        let next: pid_t? = row.10.map { pid_t($0) }
        let previous: pid_t? = row.11.map { pid_t($0) }
        return CellRecord(id: row.0, kind: row.1, store: row.2, endpoint: row.3, version: row.4, status: row.5, runtime: row.6,
                          pid: pid, host: row.8, binary: row.9, nextPID: next, previousPID: previous)
    }

    private func record(_ id: String) async throws -> CellRecord? {
        try await records(DriverSQL.cell(id: id)).first
    }

    private func records(_ query: PostgresQuery = DriverSQL.cells) async throws -> [CellRecord] {
        try await client.query(query, logger: logger)
            .collect((String, String, String?, String?, String, String, String, Int32?, String?, String?, Int32?, Int32?).self)
            .map(Self.cellRecord)
    }
}

/// Serialises work per key (one cell is started or stopped by one task at a time).
final class KeyedLock: Sendable {
    private let state = Mutex<[String: [CheckedContinuation<Void, Never>]]>([:])

    func withLock<T: Sendable>(_ key: String, _ body: () async throws -> T) async throws -> T {
        await acquire(key)
        defer { release(key) }
        return try await body()
    }

    private func acquire(_ key: String) async {
        await withCheckedContinuation { continuation in
            let granted = state.withLock { state -> Bool in
                if state[key] == nil {
                    state[key] = []
                    return true
                }
                state[key]!.append(continuation)
                return false
            }
            if granted { continuation.resume() }
        }
    }

    private func release(_ key: String) {
        let next = state.withLock { state -> CheckedContinuation<Void, Never>? in
            guard var waiters = state[key], !waiters.isEmpty else {
                state.removeValue(forKey: key)
                return nil
            }
            let first = waiters.removeFirst()
            state[key] = waiters
            return first
        }
        next?.resume()
    }
}

