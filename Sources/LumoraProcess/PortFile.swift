import Foundation

/// `--port-file`: a server started on port 0 writes the port it got here once it listens, and
/// whoever started it reads it — so no port is picked in advance, when another process could
/// take it first.
public enum PortFile {
    /// For a server's `onListening`: writes the port to `path` (atomically), if there is one.
    public static func writer(_ path: String?) -> @Sendable (Int) async -> Void {
        guard let path else { return { _ in } }
        return { port in
            try? PrivateFile.create(URL(fileURLWithPath: path), contents: Data("\(port)\n".utf8))
        }
    }

    /// The port `process` wrote to `file`; nil when it exits, or `timeout` passes, first.
    public static func wait(for file: URL, process: ChildProcess, timeout: Duration) async -> Int? {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline, !process.hasExited {
            if let port = read(file) { return port }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return read(file)
    }

    public static func read(_ file: URL) -> Int? {
        (try? String(contentsOf: file, encoding: .utf8)).flatMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
    }
}
