import Foundation
import LumoraDatabase
import LumoraProcess

/// pgbench running a script of Lumora's own statements straight against PostgreSQL: what the
/// database does without Lumora in the way, for the ratios the benchmarks report.
struct PGBench {
    enum Mode: String {
        /// A parse, bind and execute per statement, as PostgresNIO's unprepared queries.
        case extended
        /// Parsed once per connection, then bind and execute.
        case prepared
    }

    let pgbench: String
    let url: DatabaseURL
    let clients: Int
    let seconds: Int
    let mode: Mode

    struct Result {
        let transactionsPerSecond: Double
        /// One per transaction (pgbench's log).
        let latencies: LatencySample
        let machineCPUSeconds: Double
    }

    func run(script: String) async throws -> Result {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("lumora-pgbench-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("script.sql")
        try script.write(to: file, atomically: true, encoding: .utf8)
        let before = CheckoutBenchmark.machineCPUSeconds()
        let (status, output) = try await ChildProcess.run([
            pgbench, "-n", "-M", mode.rawValue, "-c", String(clients), "-j", "2", "-T", String(seconds), "-f", file.path,
            "-l", "--log-prefix", folder.appendingPathComponent("log").path, url.string,
        ])
        let cpu = CheckoutBenchmark.machineCPUSeconds() - before
        guard status == 0 else { throw BenchmarkError(message: "pgbench exited with \(status): \(output.suffix(800))") }
        // Each log line: client, transaction number, latency in µs, script, epoch, µs.
        var latencies = LatencySample()
        for name in try FileManager.default.contentsOfDirectory(atPath: folder.path) where name.hasPrefix("log") {
            let text = try String(contentsOf: folder.appendingPathComponent(name), encoding: .utf8)
            for line in text.split(separator: "\n") {
                let fields = line.split(separator: " ")
                if fields.count > 2, let micros = Int64(fields[2]) { latencies.record(.microseconds(micros)) }
            }
        }
        let tps = output.split(separator: "\n").first { $0.contains("tps = ") }
            .flatMap { line in line.split(separator: "=").dropFirst().first?.split(separator: " ").first.flatMap { Double($0) } } ?? 0
        return Result(transactionsPerSecond: tps, latencies: latencies, machineCPUSeconds: cpu)
    }
}
