import ArgumentParser
import Foundation
import LumoraCore

/// `lumora releases …`: roll a new version over the store schemas and the cells.
struct ReleasesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "releases", abstract: "Platform releases: create, follow, pause, resume, abort.",
        subcommands: [Package.self, Create.self, List.self, Status.self, Pause.self, Resume.self, Abort.self])

    /// A version folder for local cells: this `lumora` binary with the resource bundles it reads
    /// (store migrations, templates) beside it — what `releases create --binary` wants.
    struct Package: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Copy this lumora binary and its resource bundles into <folder>, ready for `releases create --binary`.")
        @Argument(help: "The folder to make (it must not exist yet or be empty).") var folder: String

        func run() throws {
            let binary = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
            let source = binary.deletingLastPathComponent()
            let target = URL(fileURLWithPath: folder, isDirectory: true).standardizedFileURL
            let files = FileManager.default
            if files.fileExists(atPath: target.path) {
                guard (try files.contentsOfDirectory(atPath: target.path)).isEmpty else {
                    throw ValidationError("\(target.path) is not empty: give a new folder for the version")
                }
            } else {
                try files.createDirectory(at: target, withIntermediateDirectories: true)
            }
            let bundles = try files.contentsOfDirectory(atPath: source.path).filter { $0.hasSuffix(".resources") }.sorted()
            try files.copyItem(at: binary, to: target.appendingPathComponent("lumora"))
            for bundle in bundles {
                try files.copyItem(at: source.appendingPathComponent(bundle), to: target.appendingPathComponent(bundle))
            }
            print("""
                Packaged \(binary.path) (version \(LumoraVersion.running)) with \(bundles.joined(separator: ", ")) into \(target.path).
                Release it:  lumora releases create <version> --binary \(target.appendingPathComponent("lumora").path) --watch
                """)
        }
    }

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Roll <version> out: store schemas, shared cell, then dedicated cells in batches.")
        @OptionGroup var manager: ManagerConnection
        @Argument(help: "The version's name, e.g. 0.2.0.") var version: String
        @Option(help: "The `lumora` binary of that version (local cells); its store migrations ship beside it.") var binary: String?
        @Option(help: "The container image of that version (Cloud Run cells).") var image: String?
        @Option(name: .customLong("batch-size"), help: "Dedicated cells updated together after the canary batch.") var batchSize = 5
        @Option(help: "Dedicated cells in the canary batch.") var canary = 1
        @Flag(name: .customLong("pause-after-canary"), help: "Stop after the canary batch until `releases resume`.") var pauseAfterCanary = false
        @Option(name: .customLong("health-window"), help: "How long each batch is watched: 30s, 2m, 500ms.") var healthWindow = "30s"
        @Option(name: .customLong("max-error-rate"), help: "Largest share of 5xx answers a batch may give in the window: 1%, 0.5%.") var maxErrorRate = "1%"
        @Flag(name: .customLong("allow-incompatible"), help: "Apply store migrations marked incompatible with the running version.") var allowIncompatible = false
        @Flag(help: "Follow the release until it ends.") var watch = false

        func run() async throws {
            var body: [String: any Sendable] = [
                "version": version, "batch_size": batchSize, "canary": canary, "pause_after_canary": pauseAfterCanary,
                "health_window_ms": try Self.milliseconds(healthWindow), "max_error_rate": try Self.fraction(maxErrorRate),
                "allow_incompatible": allowIncompatible,
            ]
            if let binary { body["binary"] = URL(fileURLWithPath: binary).standardizedFileURL.path }
            if let image { body["image"] = image }
            let release = try await manager.call(.POST, "/v1/releases", body: body)["release"] as? [String: Any] ?? [:]
            let id = release["id"] as? Int ?? 0
            if !manager.json { print("Release \(id) of \(version) started.") }
            if watch { try await ReleaseProgress(manager: manager).watch(id) }
        }

        static func milliseconds(_ text: String) throws -> Int {
            let units: [(String, Double)] = [("ms", 1), ("s", 1000), ("m", 60_000)]
            for (suffix, factor) in units where text.hasSuffix(suffix) {
                if let value = Double(text.dropLast(suffix.count)), value >= 0 { return Int(value * factor) }
            }
            throw ValidationError("--health-window takes a duration such as 30s, 2m or 500ms")
        }

        static func fraction(_ text: String) throws -> Double {
            if text.hasSuffix("%"), let value = Double(text.dropLast()), value >= 0, value <= 100 { return value / 100 }
            if let value = Double(text), value >= 0, value <= 1 { return value }
            throw ValidationError("--max-error-rate takes a percentage such as 1% (or a fraction such as 0.01)")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Recent releases.")
        @OptionGroup var manager: ManagerConnection

        func run() async throws {
            let releases = try await manager.call(.GET, "/v1/releases")["releases"] as? [[String: Any]] ?? []
            guard !manager.json else { return }
            print(table([["ID", "VERSION", "STATE", "PHASE", "CREATED", "REASON"]] + releases.map {
                ["\($0["id"] ?? "")", $0["version"] as? String ?? "", $0["state"] as? String ?? "", $0["phase"] as? String ?? "",
                 $0["created_at"] as? String ?? "", $0["reason"] as? String ?? ""]
            }))
        }
    }

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "A release's batches, cells per state and progress (the newest by default).")
        @OptionGroup var manager: ManagerConnection
        @Argument(help: "The release's id.") var id: Int?
        @Flag(help: "Follow it until it ends.") var watch = false

        func run() async throws {
            let progress = ReleaseProgress(manager: manager)
            let id = try await progress.resolve(id)
            if watch { try await progress.watch(id) } else { try await progress.show(id) }
        }
    }

    struct Pause: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Stop after the batch being rolled.")
        @OptionGroup var manager: ManagerConnection
        @Argument(help: "The release's id (the newest by default).") var id: Int?
        func run() async throws { try await ReleaseProgress(manager: manager).act("pause", id) }
    }

    struct Resume: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Continue a paused release.")
        @OptionGroup var manager: ManagerConnection
        @Argument(help: "The release's id (the newest by default).") var id: Int?
        func run() async throws { try await ReleaseProgress(manager: manager).act("resume", id) }
    }

    struct Abort: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Stop the release for good; updated cells stay updated.")
        @OptionGroup var manager: ManagerConnection
        @Argument(help: "The release's id (the newest by default).") var id: Int?
        func run() async throws { try await ReleaseProgress(manager: manager).act("abort", id) }
    }
}

/// Draws a release's progress: one line per batch, cells per state, and a bar.
struct ReleaseProgress {
    let manager: ManagerConnection

    func resolve(_ id: Int?) async throws -> Int {
        if let id { return id }
        var quiet = manager
        quiet.json = false
        let releases = try await quiet.call(.GET, "/v1/releases")["releases"] as? [[String: Any]] ?? []
        guard let newest = releases.first?["id"] as? Int else { throw OperatorError("there is no release yet") }
        return newest
    }

    func act(_ action: String, _ id: Int?) async throws {
        let id = try await resolve(id)
        let release = try await manager.call(.POST, "/v1/releases/\(id)/\(action)")["release"] as? [String: Any] ?? [:]
        if !manager.json { print("Release \(id): \(release["state"] as? String ?? "?")") }
    }

    func show(_ id: Int) async throws {
        let status = try await manager.call(.GET, "/v1/releases/\(id)")
        if !manager.json { print(Self.render(status)) }
    }

    func watch(_ id: Int) async throws {
        var quiet = manager
        quiet.json = false
        var last = ""
        while true {
            let status = try await quiet.call(.GET, "/v1/releases/\(id)")
            let text = Self.render(status)
            if text != last {
                print(text + "\n")
                last = text
            }
            let state = (status["release"] as? [String: Any])?["state"] as? String ?? ""
            if ["succeeded", "failed", "aborted", "paused"].contains(state) {
                if state == "failed" || state == "aborted" { throw ExitCode(1) }
                return
            }
            try await Task.sleep(for: .milliseconds(500))
        }
    }

    static func render(_ status: [String: Any]) -> String {
        let release = status["release"] as? [String: Any] ?? [:]
        let cells = status["cells"] as? [[String: Any]] ?? []
        var lines = ["Release \(release["id"] ?? "?") · \(release["version"] as? String ?? "?") · \(release["state"] as? String ?? "?")"
                     + " · phase \(release["phase"] as? String ?? "?")"
                     + (release["schemas_migrated"].flatMap { $0 as? Int }.map { " · \($0) store schemas migrated" } ?? "")]
        if let reason = release["reason"] as? String { lines.append("  \(reason)") }
        let byBatch = Dictionary(grouping: cells) { $0["batch"] as? Int ?? -1 }
        for batch in byBatch.keys.sorted() {
            let members = byBatch[batch] ?? []
            let counts = Dictionary(grouping: members) { $0["state"] as? String ?? "?" }.mapValues(\.count)
            let name = batch == 0 ? "shared " : batch == 1 ? "canary " : "batch \(batch)"
            let summary = counts.keys.sorted().map { "\(counts[$0] ?? 0) \($0)" }.joined(separator: ", ")
            lines.append("  \(name)  \(bar(done: members.filter { ["updated", "skipped"].contains($0["state"] as? String ?? "") }.count, of: members.count))  \(summary)")
        }
        let done = cells.filter { ["updated", "skipped"].contains($0["state"] as? String ?? "") }.count
        lines.append("  total    \(bar(done: done, of: cells.count))  \(done)/\(cells.count) cells")
        return lines.joined(separator: "\n")
    }

    static func bar(done: Int, of total: Int, width: Int = 24) -> String {
        let filled = total == 0 ? width : done * width / total
        return "[" + String(repeating: "█", count: filled) + String(repeating: "·", count: width - filled) + "]"
    }
}
