import AsyncHTTPClient
import Foundation
import LumoraDatabase
import LumoraProcess
import Logging
import NIOCore
import NIOHTTP1
import PostgresNIO

/// A `lumora manager` child process (with its shared cell) on a free port, and the operator
/// calls benchmarks make to it.
struct ManagerProcess: Sendable {
    let process: ChildProcess
    let baseURL: String
    let token: String

    static func start(binary: URL, database: DatabaseURL, cellDatabase: DatabaseURL, folder: URL, token: String, secret: String,
                      rootDomain: String) async throws -> ManagerProcess {
        var environment = ProcessInfo.processInfo.environment
        environment["DATABASE_URL"] = database.string
        environment["LUMORA_CELL_DATABASE_URL"] = cellDatabase.string
        environment["LUMORA_OPERATOR_TOKEN"] = token
        environment["LUMORA_EDGE_SECRET"] = secret
        environment["LUMORA_LOG_LEVEL"] = "error"
        environment["LUMORA_CELL_LOG_LEVEL"] = "error"
        // Port 0: the manager records where it listens in the data folder.
        let address = folder.appendingPathComponent("manager.url")
        try? FileManager.default.removeItem(at: address)
        let process = try ChildProcess.spawn(
            [binary.path, "manager", "--port", "0", "--data-dir", folder.path, "--root-domain", rootDomain],
            environment: environment, standardOutput: .null, standardError: .inherit)
        let deadline = ContinuousClock.now + .seconds(60)
        var baseURL: String?
        while baseURL == nil, ContinuousClock.now < deadline, !process.hasExited {
            baseURL = (try? String(contentsOf: address, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines).nonEmptyURL
            if baseURL == nil { try await Task.sleep(for: .milliseconds(20)) }
        }
        guard let baseURL else {
            process.signal(SIGKILL)
            throw BenchmarkError(message: "the manager did not start listening")
        }
        let manager = ManagerProcess(process: process, baseURL: baseURL, token: token)
        do {
            try await HostRequest.waitFor(manager.baseURL + "/health", host: "127.0.0.1", status: 200)
        } catch {
            process.signal(SIGKILL)
            throw error
        }
        return manager
    }

    /// An operator call; a status other than `expect` is an error carrying the body.
    func call(_ method: HTTPMethod, _ path: String, json: String? = nil, expect: HTTPResponseStatus) async throws -> String {
        var request = HTTPClientRequest(url: baseURL + path)
        request.method = method
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        if let json {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: json))
        }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        let body = String(buffer: try await response.body.collect(upTo: 8 << 20))
        guard response.status == expect else {
            throw BenchmarkError(message: "\(method) \(path) answered \(response.status.code): \(body.prefix(500))")
        }
        return body
    }

    /// SIGTERM the manager, then the cells it leaves serving (for the next manager).
    func terminate(database: DatabaseURL, logger: Logger) async throws {
        process.signal(SIGTERM)
        await process.waitForExit()
        let cells = try await PostgresClient.withRunning(database.clientConfiguration(maximumConnections: 1), logger: logger) { client in
            try await client.query("SELECT process_id FROM lumora.cells WHERE process_id IS NOT NULL").collect(Int32.self)
        }
        for pid in cells { kill(pid_t(pid), SIGTERM) }
    }

    /// For `defer`.
    func stop() {
        process.signal(SIGKILL)
    }
}

private extension String {
    var nonEmptyURL: String? { isEmpty ? nil : self }
}
