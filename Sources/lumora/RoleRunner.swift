import Foundation
import Hummingbird
import Logging
import LumoraDatabase
import LumoraProcess
import ServiceLifecycle

/// Runs a role's application until SIGTERM or SIGINT, then shuts it down gracefully — within
/// bounds: in-flight requests get 15 s, and whatever still hangs 5 s after cancellation is
/// abandoned, so a stuck dependency cannot keep a process from stopping.
enum RoleRunner {
    static func run(_ application: some ApplicationProtocol, logger: Logger) async throws {
        var configuration = ServiceGroupConfiguration(
            services: [.init(service: application)], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        configuration.maximumGracefulShutdownDuration = .seconds(15)
        configuration.maximumCancellationDuration = .seconds(5)
        try await ServiceGroup(configuration: configuration).run()
    }
}

/// A child that must not outlive its parent: when stdin (a pipe from the parent) reaches end
/// of file — the parent stopped or died — the process asks itself to shut down gracefully.
enum Lifeline {
    static func watchStandardInput() {
        let thread = Thread {
            var buffer = [UInt8](repeating: 0, count: 256)
            while read(0, &buffer, buffer.count) > 0 {}
            kill(getpid(), SIGTERM)
        }
        thread.name = "lumora-lifeline"
        thread.start()
    }
}

/// `<data-dir>/manager.url`: where the manager of a data folder listens, written once it does,
/// so every operator command pointed at the folder finds it (as it finds the operator token).
enum ManagerAddress {
    static let fileName = "manager.url"

    static func writer(dataDirectory: URL, host: String) -> @Sendable (Int) async -> Void {
        { port in
            let shown = host == "0.0.0.0" || host == "::" ? "127.0.0.1" : host
            try? PrivateFile.create(dataDirectory.appendingPathComponent(fileName), contents: Data("http://\(shown):\(port)\n".utf8))
        }
    }

    static func read(dataDirectory: URL) -> String? {
        (try? String(contentsOf: dataDirectory.appendingPathComponent(fileName), encoding: .utf8))?
            .trimmingCharacters(in: .whitespacesAndNewlines).nonEmpty
    }
}

extension String {
    var nonEmpty: String? { isEmpty ? nil : self }
}
