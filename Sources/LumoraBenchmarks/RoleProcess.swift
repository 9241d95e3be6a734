import Foundation
import LumoraDatabase
import LumoraProcess

/// A `lumora cell` or `lumora edge` child started on port 0: it writes the port it got to a
/// `--port-file` once listening, so no port is picked in advance (another process could take it).
enum RoleProcess {
    static func start(_ arguments: [String], environment extra: [String: String]) async throws -> (ChildProcess, Int) {
        var environment = ProcessInfo.processInfo.environment
        environment["LUMORA_LOG_LEVEL"] = "error"
        environment.merge(extra) { $1 }
        let portFile = FileManager.default.temporaryDirectory.appendingPathComponent("lumora-bench-port-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: portFile) }
        let process = try ChildProcess.spawn(arguments + ["--port", "0", "--port-file", portFile.path],
                                             environment: environment, standardOutput: .null, standardError: .inherit)
        if let port = await PortFile.wait(for: portFile, process: process, timeout: .seconds(60)) { return (process, port) }
        process.signal(SIGKILL)
        throw BenchmarkError(message: "\(arguments.dropFirst().prefix(2).joined(separator: " ")) did not start listening")
    }
}
