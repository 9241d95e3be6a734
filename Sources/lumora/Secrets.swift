import Foundation
import LumoraCore
import LumoraDatabase

/// Secrets a local platform needs, from the environment or generated once and kept in the
/// data folder (mode 0600), so every run and every process of the platform agrees.
enum Secrets {
    static func value(_ name: String, environment variable: String, dataDirectory: URL) throws -> String {
        if let value = ProcessInfo.processInfo.environment[variable], !value.isEmpty { return value }
        let file = dataDirectory.appendingPathComponent(name)
        if let stored = try? String(contentsOf: file, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines), !stored.isEmpty {
            return stored
        }
        try FileManager.default.createDirectory(at: dataDirectory, withIntermediateDirectories: true)
        var generator = SystemRandomNumberGenerator()
        let value = Hex.lowercase((0..<24).map { _ in UInt8.random(in: 0...255, using: &generator) })
        try Data(value.utf8).write(to: file)
        chmod(file.path, 0o600)
        return value
    }

    static func operatorToken(_ dataDirectory: URL) throws -> String {
        try value("operator-token", environment: "LUMORA_OPERATOR_TOKEN", dataDirectory: dataDirectory)
    }

    static func edgeSecret(_ dataDirectory: URL) throws -> String {
        try value("edge-secret", environment: "LUMORA_EDGE_SECRET", dataDirectory: dataDirectory)
    }
}
