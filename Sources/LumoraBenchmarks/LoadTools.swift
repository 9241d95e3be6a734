import AsyncHTTPClient
import Foundation
import LumoraDatabase
import LumoraProcess

/// wrk and hey, the load generators the benchmarks drive, and what they print.
enum LoadTools {
    static func require(_ tool: String) throws -> String {
        for folder in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin").split(separator: ":") {
            let path = "\(folder)/\(tool)"
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        throw BenchmarkError(message: "\(tool) is not installed: apt-get install \(tool)")
    }

    struct WrkResult {
        var requests: Int
        var requestsPerSecond: Double
        var p50: Duration
        var p99: Duration
        var non2xx: Int
        var errors: Int
    }

    /// Runs wrk with a Lua script; `--latency` gives the percentiles.
    static func wrk(url: String, script: URL, threads: Int = 2, connections: Int = 64, seconds: Int = 15) async throws -> WrkResult {
        let wrk = try require("wrk")
        let (status, output) = try await ChildProcess.run([wrk, "-t\(threads)", "-c\(connections)", "-d\(seconds)s", "--latency", "-s", script.path, url])
        guard status == 0 else { throw BenchmarkError(message: "wrk failed: \(output)") }
        func number(after label: String) -> Double? {
            guard let line = output.split(separator: "\n").first(where: { $0.contains(label) }) else { return nil }
            return line.split(separator: " ").compactMap { Double($0) }.last
        }
        func percentile(_ label: String) -> Duration {
            guard let line = output.split(separator: "\n").first(where: { $0.trimmingCharacters(in: .whitespaces).hasPrefix(label) }),
                  let value = line.split(separator: " ").last else { return .zero }
            return parseDuration(String(value))
        }
        var non2xx = 0
        if let line = output.split(separator: "\n").first(where: { $0.contains("Non-2xx or 3xx responses") }) {
            non2xx = Int(line.split(separator: " ").last ?? "0") ?? 0
        }
        var errors = 0
        if let line = output.split(separator: "\n").first(where: { $0.contains("Socket errors") }) {
            errors = line.split(separator: ",").compactMap { $0.split(separator: " ").last.flatMap { Int($0) } }.reduce(0, +)
        }
        // "  482113 requests in 15.00s, 1.23GB read"
        let requests = output.split(separator: "\n").first(where: { $0.contains(" requests in ") })
            .flatMap { $0.split(separator: " ").first.flatMap { Int($0) } } ?? 0
        return WrkResult(requests: requests, requestsPerSecond: number(after: "Requests/sec:") ?? 0, p50: percentile("50%"), p99: percentile("99%"),
                         non2xx: non2xx, errors: errors)
    }

    /// "1.23ms", "850.00us", "1.02s"
    static func parseDuration(_ text: String) -> Duration {
        let units: [(String, Double)] = [("us", 1e-6), ("ms", 1e-3), ("s", 1), ("m", 60)]
        for (suffix, scale) in units where text.hasSuffix(suffix) {
            if let value = Double(text.dropLast(suffix.count)) { return .nanoseconds(Int64(value * scale * 1e9)) }
        }
        return .zero
    }

    /// Latencies (seconds) and status codes of every request hey made, from its CSV output.
    static func hey(url: String, headers: [(String, String)], perSecond: Int, workers: Int, seconds: Int) async throws -> [(latency: Double, status: Int)] {
        let hey = try require("hey")
        var arguments = [hey, "-z", "\(seconds)s", "-c", "\(workers)", "-q", "\(perSecond)", "-o", "csv"]
        for (name, value) in headers { arguments += ["-H", "\(name): \(value)"] }
        arguments.append(url)
        let (status, output) = try await ChildProcess.run(arguments)
        guard status == 0 else { throw BenchmarkError(message: "hey failed: \(output.prefix(500))") }
        return output.split(separator: "\n").dropFirst().compactMap { line in
            let fields = line.split(separator: ",")
            guard fields.count >= 7, let latency = Double(fields[0]), let code = Int(fields[6]) else { return nil }
            return (latency, code)
        }
    }

    /// Polls `url` until it answers 200.
    static func waitForOK(_ url: String, timeout: Duration = .seconds(60)) async throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            var request = HTTPClientRequest(url: url)
            request.method = .GET
            if let response = try? await HTTPClient.shared.execute(request, timeout: .seconds(2)), response.status == .ok {
                return
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw BenchmarkError(message: "\(url) did not become ready")
    }

    /// Resident memory of a process, from /proc.
    /// CPU seconds (user and system) used so far by the processes whose process group is
    /// `group`, or by `pid` alone; from /proc, in clock ticks.
    static func cpuSeconds(processGroup group: pid_t? = nil, pid: pid_t? = nil) -> Double {
        let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
        let candidates: [String]
        if let pid {
            candidates = ["\(pid)"]
        } else {
            candidates = ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).filter { $0.allSatisfy(\.isNumber) }
        }
        var total = 0.0
        for candidate in candidates {
            // "pid (comm) state ppid pgrp … utime stime …": fields after the command's ")".
            guard let stat = try? String(contentsOfFile: "/proc/\(candidate)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")") else { continue }
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            guard fields.count > 12 else { continue }
            if let group, Int32(fields[2]) != group { continue }
            total += (Double(fields[11]) ?? 0) + (Double(fields[12]) ?? 0)
        }
        return total / ticks
    }

    static func residentMegabytes(_ pid: pid_t) -> Double {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
              let kilobytes = line.split(separator: " ").compactMap({ Double($0) }).first else { return 0 }
        return kilobytes / 1024
    }
}

extension Array where Element == Double {
    func percentile(_ p: Double) -> Double {
        guard !isEmpty else { return 0 }
        let sorted = self.sorted()
        return sorted[Swift.min(sorted.count - 1, Swift.max(0, Int((p / 100 * Double(sorted.count - 1)).rounded())))]
    }
}
