import Foundation
import LumoraCore
import LumoraDatabase
import LumoraProcess
import ArgumentParser

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
        try PrivateFile.create(file, contents: Data(value.utf8))
        return value
    }

    static func operatorToken(_ dataDirectory: URL) throws -> String {
        try value("operator-token", environment: "LUMORA_OPERATOR_TOKEN", dataDirectory: dataDirectory)
    }

    static func edgeSecret(_ dataDirectory: URL) throws -> String {
        try value("edge-secret", environment: "LUMORA_EDGE_SECRET", dataDirectory: dataDirectory)
    }

    /// The signing secret a role was given: `LUMORA_EDGE_SECRET`, or the file `--secret-file`
    /// names. Never a command-line value: `ps` shows every process's arguments to every user.
    static func signingSecret(file: String?, role: String) throws -> String {
        if let file {
            guard let stored = try? String(contentsOfFile: file, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines), !stored.isEmpty else {
                throw ValidationError("--secret-file \(file) cannot be read or is empty")
            }
            return stored
        }
        guard let secret = ProcessInfo.processInfo.environment["LUMORA_EDGE_SECRET"], !secret.isEmpty else {
            throw ValidationError("the \(role) needs the signing secret the edge and the cells share: LUMORA_EDGE_SECRET or --secret-file")
        }
        return secret
    }
}
