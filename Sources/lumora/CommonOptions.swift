import ArgumentParser
import Foundation
import Logging
import LumoraCore

/// Options every command that touches the database shares.
struct DatabaseOptions: ParsableArguments {
    @Option(name: .customLong("data-dir"),
            help: "Lumora's data folder (default: LUMORA_DATA_DIR, else .lumora); its own PostgreSQL lives in <data-dir>/pg unless DATABASE_URL is set.")
    var dataDirectory: String = DataDirectory.default

    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical.")
    var logLevel: String = ProcessInfo.processInfo.environment["LUMORA_LOG_LEVEL"] ?? "info"

    var dataDirectoryURL: URL {
        URL(fileURLWithPath: dataDirectory, isDirectory: true).standardizedFileURL
    }

    func makeLogger(_ label: String) -> Logger {
        LoggingBootstrap.once(level: Logger.Level(rawValue: logLevel) ?? .info)
        return Logger(label: label)
    }
}

enum LoggingBootstrap {
    nonisolated(unsafe) private static var done = false

    /// Logs go to stderr so that stdout stays clean for output people read or pipe.
    static func once(level: Logger.Level) {
        guard !done else { return }
        done = true
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
    }
}

extension LumoraVersion {
    /// The version this process reports: `LUMORA_VERSION` (a release names the version it
    /// starts cells as), or the build's own when unset or empty.
    static var running: String {
        guard let named = ProcessInfo.processInfo.environment["LUMORA_VERSION"], !named.isEmpty else { return current }
        return named
    }
}

/// The data folder every command uses unless told otherwise: `LUMORA_DATA_DIR`, so commands
/// run from any folder find the same platform, else `.lumora` where the command runs.
enum DataDirectory {
    static var `default`: String {
        ProcessInfo.processInfo.environment["LUMORA_DATA_DIR"].flatMap { $0.isEmpty ? nil : $0 } ?? ".lumora"
    }
}
