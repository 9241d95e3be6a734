import Crypto
import Foundation
import LumoraCore

/// One numbered SQL file: `0003_add_reviews.sql` is version 3, named `add_reviews`.
public struct Migration: Sendable, Equatable {
    public let version: Int
    public let name: String
    public let sql: String

    public init(version: Int, name: String, sql: String) {
        self.version = version
        self.name = name
        self.sql = sql
    }

    /// Marked `-- lumora: incompatible` (a line of its own): the version running now cannot
    /// work with the schema after it, so a rolling release must not apply it while old cells
    /// serve — the runner refuses it unless forced.
    public var isIncompatible: Bool {
        sql.split(whereSeparator: \.isNewline).contains { line in
            line.trimmingCharacters(in: .whitespaces).lowercased().replacingOccurrences(of: " ", with: "") == "--lumora:incompatible"
        }
    }

    /// The statements to send, one by one, inside the migration's transaction.
    public var statements: [String] { SQLScript.statements(in: sql) }

    /// SHA-256 of the file's text, recorded so that an edited, already-applied file is refused.
    public var checksum: String {
        Hex.lowercase(SHA256.hash(data: Data(sql.utf8)))
    }
}

/// An ordered set of migrations: the control set or the store set.
public struct MigrationSet: Sendable {
    public let name: String
    public let migrations: [Migration]

    /// Validates that versions start at 1 and have no gaps or repeats.
    public init(name: String, migrations: [Migration]) throws {
        let sorted = migrations.sorted { $0.version < $1.version }
        for (index, migration) in sorted.enumerated() where migration.version != index + 1 {
            throw MigrationError.badNumbering(set: name, expected: index + 1, found: migration.version, file: migration.name)
        }
        self.name = name
        self.migrations = sorted
    }

    public var latestVersion: Int { migrations.last?.version ?? 0 }

    public func pending(after version: Int) -> ArraySlice<Migration> {
        migrations[min(max(version, 0), migrations.count)...]
    }

    /// The same set plus more migrations after it (benchmarks and tests add their own).
    public func appending(_ extra: [Migration]) throws -> MigrationSet {
        try MigrationSet(name: name, migrations: migrations + extra)
    }

    /// Reads `NNNN_name.sql` files from a folder.
    public static func load(name: String, from directory: URL) throws -> MigrationSet {
        let files = try FileManager.default.contentsOfDirectory(atPath: directory.path)
            .filter { $0.hasSuffix(".sql") }
        let migrations = try files.map { file -> Migration in
            let stem = file.dropLast(4)
            guard let underscore = stem.firstIndex(of: "_"), let version = Int(stem[..<underscore]), version > 0 else {
                throw MigrationError.badFileName(set: name, file: file)
            }
            let sql = try String(contentsOf: directory.appendingPathComponent(file), encoding: .utf8)
            return Migration(version: version, name: String(stem[stem.index(after: underscore)...]), sql: sql)
        }
        return try MigrationSet(name: name, migrations: migrations)
    }

    /// The control-schema migrations shipped with Lumora.
    public static func control() throws -> MigrationSet {
        try load(name: "control", from: try bundledDirectory("control"))
    }

    /// The store-schema migrations shipped with Lumora.
    public static func store() throws -> MigrationSet {
        try load(name: "store", from: try bundledDirectory("store"))
    }

    /// The store set a `lumora` binary ships: its resource bundle lies next to it
    /// (`lumora_LumoraDatabase.resources/Migrations/store`), so a release knows the migrations
    /// of the version it rolls out without running it.
    public static func store(shippedWith binary: URL) throws -> MigrationSet {
        let directory = binary.deletingLastPathComponent()
            .appendingPathComponent("lumora_LumoraDatabase.resources/Migrations/store", isDirectory: true)
        guard FileManager.default.fileExists(atPath: directory.path) else {
            throw MigrationError.notShipped(binary: binary.path)
        }
        return try load(name: "store", from: directory)
    }

    private static func bundledDirectory(_ set: String) throws -> URL {
        guard let root = Bundle.module.url(forResource: "Migrations", withExtension: nil) else {
            throw MigrationError.resourcesMissing
        }
        return root.appendingPathComponent(set, isDirectory: true)
    }
}

public enum MigrationError: Error, CustomStringConvertible, Equatable {
    case badFileName(set: String, file: String)
    case badNumbering(set: String, expected: Int, found: Int, file: String)
    case resourcesMissing
    case checksumMismatch(set: String, version: Int, name: String)
    case databaseAhead(set: String, databaseVersion: Int, knownVersion: Int)
    case incompatible(set: String, version: Int, name: String)
    case notShipped(binary: String)

    public var description: String {
        switch self {
        case .badFileName(let set, let file):
            return "\(set) migration '\(file)' must be named NNNN_name.sql"
        case .badNumbering(let set, let expected, let found, let file):
            return "\(set) migrations must be numbered 1, 2, 3 … without gaps: expected \(expected), found \(found) (\(file))"
        case .resourcesMissing:
            return "the Migrations resource folder is missing from the LumoraDatabase bundle; it must ship next to the lumora binary"
        case .checksumMismatch(let set, let version, let name):
            return "\(set) migration \(version) (\(name)) was edited after it was applied; add a new migration instead"
        case .databaseAhead(let set, let databaseVersion, let knownVersion):
            return "the database's \(set) schema is at version \(databaseVersion) but this lumora only knows \(knownVersion); run a newer lumora"
        case .incompatible(let set, let version, let name):
            return "\(set) migration \(version) (\(name)) is marked incompatible with the running version; apply it only when forced (after every cell runs a version that needs it)"
        case .notShipped(let binary):
            return "no store migrations ship next to \(binary) (expected lumora_LumoraDatabase.resources beside it)"
        }
    }
}
