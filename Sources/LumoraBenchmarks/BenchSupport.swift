import Foundation
import Logging
import LumoraDatabase
import PostgresNIO

/// Durations of repeated operations, summarised the way the benchmark tables report them.
public struct LatencySample: Sendable {
    public private(set) var durations: [Duration] = []

    public init() {}

    public mutating func record(_ duration: Duration) { durations.append(duration) }
    public mutating func append(contentsOf other: LatencySample) { durations += other.durations }

    public func percentile(_ p: Double) -> Duration {
        guard !durations.isEmpty else { return .zero }
        let sorted = durations.sorted()
        let rank = Int((p / 100 * Double(sorted.count - 1)).rounded())
        return sorted[min(max(rank, 0), sorted.count - 1)]
    }
}

extension Duration {
    public var milliseconds: Double {
        Double(components.seconds) * 1000 + Double(components.attoseconds) / 1e15
    }

    public var seconds: Double { milliseconds / 1000 }

    func formattedMilliseconds() -> String { String(format: "%.1f ms", milliseconds) }
    func formattedSeconds() -> String { String(format: "%.2f s", seconds) }
}

/// Times `body`.
func measure<T>(_ body: () async throws -> T) async rethrows -> (T, Duration) {
    let clock = ContinuousClock()
    let start = clock.now
    let result = try await body()
    return (result, clock.now - start)
}

/// A throwaway database for one benchmark run, dropped afterwards.
struct ScratchDatabase {
    let url: DatabaseURL

    static func with<T: Sendable>(on server: DatabaseURL, logger: Logger, _ body: (ScratchDatabase) async throws -> T) async throws -> T {
        let name = "lumora_bench_\(Int(Date().timeIntervalSince1970))_\(UInt16.random(in: 0...UInt16.max))"
        let admin = server.clientConfiguration(maximumConnections: 1)
        try await PostgresClient.withRunning(admin, logger: logger) { client in
            try await client.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(name)"))
        }
        let scratch = ScratchDatabase(url: server.database(name))
        do {
            let result = try await body(scratch)
            try await drop(name, admin: admin, logger: logger)
            return result
        } catch {
            try? await drop(name, admin: admin, logger: logger)
            throw error
        }
    }

    private static func drop(_ name: String, admin: PostgresClient.Configuration, logger: Logger) async throws {
        try await PostgresClient.withRunning(admin, logger: logger) { client in
            try await client.query(PostgresQuery(unsafeSQL: "DROP DATABASE IF EXISTS \(name) WITH (FORCE)"))
        }
    }
}

/// What the benchmark ran on, for the header of its table.
public struct MachineDescription: Sendable {
    public let text: String

    static func read(client: PostgresClient) async throws -> MachineDescription {
        let cpu = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8))?
            .split(separator: "\n").first { $0.hasPrefix("model name") }?
            .split(separator: ":").last?.trimmingCharacters(in: .whitespaces) ?? "unknown CPU"
        let memory = (try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8))?
            .split(separator: "\n").first { $0.hasPrefix("MemTotal") }
            .flatMap { line in line.split(separator: " ").dropFirst().first.flatMap { Double($0) } }
            .map { String(format: "%.0f GiB", $0 / 1024 / 1024) } ?? "?"
        let version = try await client.query("SELECT current_setting('server_version'), current_setting('fsync')").collect((String, String).self).first
        let date = ISO8601DateFormatter().string(from: Date())
        return MachineDescription(text: "\(date) · \(ProcessInfo.processInfo.activeProcessorCount) cores (\(cpu)) · \(memory) RAM · PostgreSQL \(version?.0 ?? "?") (fsync \(version?.1 ?? "?"))")
    }
}

func markdownTable(_ header: [String], _ rows: [[String]]) -> String {
    var lines = ["| " + header.joined(separator: " | ") + " |", "|" + header.map { _ in "---" }.joined(separator: "|") + "|"]
    lines += rows.map { "| " + $0.joined(separator: " | ") + " |" }
    return lines.joined(separator: "\n")
}
