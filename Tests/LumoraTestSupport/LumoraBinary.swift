import Foundation
import LumoraDatabase

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
        return candidate
    }

    public struct MissingBinary: Error, CustomStringConvertible {
        public let path: String
        public var description: String { "no lumora executable at \(path): run `swift build` before `swift test`" }
    }

    /// Starts `lumora <arguments>` with stdout and stderr appended to `output`.
    public static func start(_ arguments: [String], environment: [String: String] = [:], output: URL) throws -> ChildProcess {
        var merged = ProcessInfo.processInfo.environment
        merged.merge(environment) { $1 }
        return try ChildProcess.spawn([try url().path] + arguments, environment: merged,
                                      standardOutput: .file(output), standardError: .file(output))
    }

    /// Runs `lumora <arguments>` to completion.
    public static func run(_ arguments: [String], environment: [String: String] = [:]) async throws -> (status: Int32, output: String) {
        var merged = ProcessInfo.processInfo.environment
        merged.merge(environment) { $1 }
        return try await ChildProcess.run([try url().path] + arguments, environment: merged)
    }
}

/// Re-checks `condition` until it holds (at most `timeout`). For waiting on state another
/// process changes, where there is no event to subscribe to.
public func waitUntil(timeout: Duration = .seconds(30), _ condition: () async throws -> Bool) async throws {
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
