import Foundation
import LumoraDatabase
import LumoraProcess
import NIOCore
import Synchronization

/// The built `lumora` executable, for tests that run it as a real process. `swift test` does
/// not build executables: the README's test command runs `swift build` first.
public enum LumoraBinary {
    public static func url() throws -> URL {
        if let explicit = ProcessInfo.processInfo.environment["LUMORA_BINARY"], !explicit.isEmpty {
            return URL(fileURLWithPath: explicit)
        }
        // The test bundle sits in the build folder next to the executable.
        let testBinary = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        var folder = testBinary.deletingLastPathComponent()
        if folder.lastPathComponent.hasSuffix(".xctest") { folder = folder.deletingLastPathComponent() }
        let candidate = folder.appendingPathComponent("lumora")
        guard FileManager.default.isExecutableFile(atPath: candidate.path) else {
            throw MissingBinary(path: candidate.path)
        }
        // `swift test` builds the tests, not the executable: a binary older than the objects it
        // is linked from would test yesterday's code. (Objects, not sources: a change the
        // compiler skips, a comment say, relinks nothing.)
        if let built = modified(candidate), let newest = newestObject(in: folder), newest.date > built {
            throw StaleBinary(path: candidate.path, source: newest.path)
        }
        return candidate
    }

    public struct MissingBinary: Error, CustomStringConvertible {
        public let path: String
        public var description: String { "no lumora executable at \(path): run `swift build` before `swift test`" }
    }

    public struct StaleBinary: Error, CustomStringConvertible {
        public let path: String
        public let source: String
        public var description: String { "\(path) is older than \(source), which it is linked from: run `swift build` before `swift test`" }
    }

    /// The most recently written object file of the package's own targets in `folder` (the
    /// build folder), read once per test run.
    static func newestObject(in folder: URL) -> (path: String, date: Date)? {
        newestObjectCache.withLock { cache in
            if let cache { return cache }
            var newest: (path: String, date: Date)?
            let modules = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
            for module in modules where module.hasSuffix(".build") && (module.hasPrefix("Lumora") || module.hasPrefix("lumora") || module.hasPrefix("CLumora"))
                && !module.hasSuffix("Tests.build") && module != "LumoraTestSupport.build" && module != "LumoraFakes.build" {
                let directory = folder.appendingPathComponent(module)
                for file in (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? [] where file.hasSuffix(".o") {
                    let url = directory.appendingPathComponent(file)
                    if let date = modified(url), date > newest?.date ?? .distantPast { newest = (url.path, date) }
                }
            }
            cache = newest
            return newest
        }
    }

    private static let newestObjectCache = Mutex<(path: String, date: Date)??>(nil)

    static func modified(_ url: URL) -> Date? {
        try? url.resourceValues(forKeys: [.contentModificationDateKey]).contentModificationDate
    }

    /// Starts `lumora <arguments>` with stdout and stderr appended to `output`.
    public static func start(_ arguments: [String], environment: [String: String] = [:], output: URL) throws -> ChildProcess {
        var merged = ProcessInfo.processInfo.environment
        merged.merge(environment) { $1 }
        return try ChildProcess.spawn([try url().path] + arguments, environment: merged,
                                      standardOutput: .file(output), standardError: .file(output))
    }

    /// Starts a serving role (`cell`, `edge`) on port 0 and returns it with the port it got, read
    /// from its `--port-file` once it listens (nothing picks a port another test may take).
    public static func startListening(_ arguments: [String], environment: [String: String] = [:], output: URL,
                                      timeout: Duration = .seconds(180)) async throws -> (process: ChildProcess, port: Int) {
        let portFile = FileManager.default.temporaryDirectory.appendingPathComponent("lumora-port-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: portFile) }
        let process = try start(arguments + ["--port", "0", "--port-file", portFile.path], environment: environment, output: output)
        var port: Int?
        do {
            try await waitUntil(timeout: timeout) {
                port = PortFile.read(portFile)
                return port != nil || process.hasExited
            }
        } catch {
            process.signal(SIGKILL)
            throw error
        }
        guard let port else { throw ExitedEarly(log: (try? String(contentsOf: output, encoding: .utf8)) ?? "") }
        return (process, port)
    }

    /// Starts `lumora manager --port 0 --data-dir <folder> <arguments>` and returns it with the
    /// URL it records in `<folder>/manager.url` once it listens.
    public static func startManager(_ arguments: [String], folder: URL, environment: [String: String] = [:], output: URL) async throws
        -> (process: ChildProcess, url: String) {
        let file = folder.appendingPathComponent("manager.url")
        try? FileManager.default.removeItem(at: file)
        let process = try start(["manager", "--port", "0", "--data-dir", folder.path] + arguments, environment: environment, output: output)
        var url: String?
        try await waitUntil {
            url = (try? String(contentsOf: file, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
            return url?.isEmpty == false || process.hasExited
        }
        guard let url, !url.isEmpty else { throw ExitedEarly(log: (try? String(contentsOf: output, encoding: .utf8)) ?? "") }
        return (process, url)
    }

    public struct ExitedEarly: Error, CustomStringConvertible {
        public let log: String
        public var description: String { "the process exited before it listened:\n\(log.suffix(2000))" }
    }

    /// Runs `lumora <arguments>` to completion.
    public static func run(_ arguments: [String], environment: [String: String] = [:]) async throws -> (status: Int32, output: String) {
        var merged = ProcessInfo.processInfo.environment
        merged.merge(environment) { $1 }
        return try await ChildProcess.run([try url().path] + arguments, environment: merged)
    }
}

/// Re-checks `condition` until it holds: for state another task or process changes (a
/// notification reaching a routing table, a job finishing), where there is no event to
/// subscribe to. `timeout` only bounds a test that would otherwise hang; it is generous so that
/// a slow, loaded machine passes as a fast one does — nothing may depend on it being short.
public func waitUntil(timeout: Duration = .seconds(180), _ condition: () async throws -> Bool) async throws {
    let deadline = ContinuousClock.now + timeout
    while try await !condition() {
        guard ContinuousClock.now < deadline else { throw WaitTimeout() }
        try await Task.sleep(for: .milliseconds(10))
    }
}

public struct WaitTimeout: Error, CustomStringConvertible {
    public init() {}
    public var description: String { "the condition did not come true in time" }
}

/// The port a server a test starts on port 0 is bound to: the server reports it
/// (`onListening`), the test awaits it. No port is picked, closed and bound later, when another
/// process may have taken it.
public final class ListeningPort: Sendable {
    private let stream: AsyncStream<Int>
    private let continuation: AsyncStream<Int>.Continuation

    public init() {
        (stream, continuation) = AsyncStream<Int>.makeStream(bufferingPolicy: .bufferingNewest(1))
    }

    /// For the server's `onListening`.
    public func report(_ port: Int) {
        continuation.yield(port)
        continuation.finish()
    }

    public var value: Int {
        get async throws {
            for await port in stream { return port }
            throw WaitTimeout()
        }
    }
}

/// How long a test waits for one HTTP answer before calling the request lost. It guards
/// against a hang, not a slow machine: a loaded 2-core CI runner, with every suite's servers
/// and PostgreSQL busy at once, has taken over 10 s to answer a signup.
public let patientRequestDeadline: TimeAmount = .seconds(90)
