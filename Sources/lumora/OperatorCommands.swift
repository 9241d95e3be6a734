import ArgumentParser
import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// How operator commands reach the manager.
struct ManagerConnection: ParsableArguments {
    @Option(name: .customLong("manager-url"),
            help: "The manager (default: LUMORA_MANAGER_URL, else the one recorded in --data-dir, else http://127.0.0.1:9090).")
    var managerURL: String?
    @Option(help: "Operator token (default: LUMORA_OPERATOR_TOKEN, or the one in --data-dir).") var token: String?
    @Option(name: .customLong("data-dir"), help: "Lumora's data folder, where `lumora dev` and `lumora manager` keep the operator token and the manager's URL.")
    var dataDirectory = DataDirectory.default
    @Flag(help: "Print the manager's JSON instead of a summary.") var json = false

    var baseURL: String {
        (managerURL ?? ProcessInfo.processInfo.environment["LUMORA_MANAGER_URL"]?.nonEmpty
            ?? ManagerAddress.read(dataDirectory: URL(fileURLWithPath: dataDirectory)) ?? "http://127.0.0.1:9090")
            .trimmingCharacters(in: CharacterSet(charactersIn: "/"))
    }

    /// A client that gives up connecting after 3 s (a manager that is not running refuses at
    /// once; one behind a dead address would otherwise take the system's 30 s).
    static let http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(timeout: .init(connect: .seconds(3), read: .seconds(30))))

    static func describe(_ error: any Error) -> String {
        let text = "\(error)"
        if text.contains("Connection refused") || text.contains("connectionRefused") || text.contains("errno: 111") { return "connection refused" }
        if text.contains("connectTimeout") || text.contains("Connect timeout") { return "no answer within 3 s" }
        return text
    }

    func operatorToken() throws -> String {
        if let token, !token.isEmpty { return token }
        if let token = ProcessInfo.processInfo.environment["LUMORA_OPERATOR_TOKEN"], !token.isEmpty { return token }
        let file = URL(fileURLWithPath: dataDirectory).appendingPathComponent("operator-token")
        if let stored = try? String(contentsOf: file, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines), !stored.isEmpty {
            return stored
        }
        // Not a ValidationError: ArgumentParser would print the top command's usage line under it.
        throw OperatorError("no operator token in \(URL(fileURLWithPath: dataDirectory).path): pass --token, set LUMORA_OPERATOR_TOKEN, "
                            + "or point --data-dir at the folder `lumora dev` or `lumora manager` runs with")
    }

    /// Calls the manager; a non-2xx answer becomes an error with the manager's message.
    func call(_ method: HTTPMethod, _ path: String, body: [String: any Sendable]? = nil) async throws -> [String: Any] {
        try await call(method, path, bytes: try body.map { [UInt8](try JSONSerialization.data(withJSONObject: $0)) }, contentType: "application/json")
    }

    /// Calls the manager with `bytes` as the body (a plugin's module, say).
    func call(_ method: HTTPMethod, _ path: String, bytes: [UInt8]?, contentType: String) async throws -> [String: Any] {
        var request = HTTPClientRequest(url: baseURL + path)
        request.method = method
        request.headers.add(name: "Authorization", value: "Bearer \(try operatorToken())")
        if let bytes {
            request.headers.add(name: "Content-Type", value: contentType)
            request.body = .bytes(ByteBuffer(bytes: bytes))
        }
        let response: HTTPClientResponse
        do {
            response = try await Self.http.execute(request, timeout: .seconds(30))
        } catch {
            throw OperatorError("""
                cannot reach the manager at \(baseURL) (\(Self.describe(error))).
                Start the platform with `swift run lumora dev --data-dir \(dataDirectory)` (or `lumora manager`), \
                or point --manager-url / LUMORA_MANAGER_URL at a running manager.
                """)
        }
        let data = Data(buffer: try await response.body.collect(upTo: 16 << 20))
        let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] ?? [:]
        guard (200..<300).contains(Int(response.status.code)) else {
            let error = object["error"] as? [String: Any]
            throw OperatorError("\(error?["message"] as? String ?? "the manager answered \(response.status.code)") [\(error?["code"] as? String ?? "\(response.status.code)")]")
        }
        if json {
            print(String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys]), as: UTF8.self))
        }
        return object
    }

    /// Follows a job until it finishes, printing each step as it completes.
    func follow(job id: Int, quiet: Bool) async throws -> [String: Any] {
        var printed = Set<String>()
        while true {
            let job = try await call(.GET, "/v1/jobs/\(id)", body: nil, echo: false)["job"] as? [String: Any] ?? [:]
            let steps = job["steps_done"] as? [String] ?? []
            if !quiet {
                for step in steps where !printed.contains(step) {
                    print("  ✓ \(step)")
                    printed.insert(step)
                }
            }
            let state = job["state"] as? String ?? ""
            if ["succeeded", "dead", "canceled"].contains(state) { return job }
            if !quiet, state == "retrying", let error = job["last_error"] as? String {
                print("  … retrying: \(error)")
            }
            try await Task.sleep(for: .milliseconds(200))
        }
    }

    private func call(_ method: HTTPMethod, _ path: String, body: [String: any Sendable]?, echo: Bool) async throws -> [String: Any] {
        var quiet = self
        quiet.json = false
        return try await quiet.call(method, path, body: body)
    }
}

struct OperatorError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

func table(_ rows: [[String]]) -> String {
    guard let first = rows.first else { return "" }
    var widths = Array(repeating: 0, count: first.count)
    for row in rows { for (index, cell) in row.enumerated() where index < widths.count { widths[index] = max(widths[index], cell.count) } }
    return rows.map { row in
        row.enumerated().map { index, cell in cell.padding(toLength: widths[index], withPad: " ", startingAt: 0) }.joined(separator: "  ")
    }.joined(separator: "\n")
}

struct StoresCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stores", abstract: "Create, list, inspect, re-plan and delete stores.",
        subcommands: [Create.self, List.self, Show.self, ChangePlan.self, Move.self, Delete.self, Pin.self, Unpin.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a store and wait until it is live.")
        @OptionGroup var manager: ManagerConnection
        @Argument(help: "The store's slug: its subdomain.") var slug: String
        @Option(help: "The store's name.") var name: String
        @Option(help: "standard or enterprise.") var plan = "standard"
        @Option(name: .customLong("owner-email"), help: "The owner's e-mail.") var ownerEmail: String
        @Flag(help: "Return once the store is accepted, without waiting.") var noWait = false

        func run() async throws {
            let created = try await manager.call(.POST, "/v1/stores", body: ["slug": slug, "name": name, "plan": plan, "owner_email": ownerEmail])
            let store = created["store"] as? [String: Any] ?? [:]
            let job = created["job"] as? [String: Any] ?? [:]
            if !manager.json {
                print("Store \(slug) accepted (job \(job["id"] ?? "?")). Admin token, shown only now:\n  \(created["admin_token"] as? String ?? "")")
            }
            guard !noWait, let id = job["id"] as? Int else { return }
            if !manager.json { print("Provisioning…") }
            let finished = try await manager.follow(job: id, quiet: manager.json)
            guard finished["state"] as? String == "succeeded" else {
                throw OperatorError("provisioning \(finished["state"] ?? "failed"): \(finished["last_error"] ?? "")")
            }
            if !manager.json { print("Live at \(store["url"] as? String ?? "")") }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List every store.")
        @OptionGroup var manager: ManagerConnection

        func run() async throws {
            let stores = try await manager.call(.GET, "/v1/stores")["stores"] as? [[String: Any]] ?? []
            guard !manager.json else { return }
            print(table([["SLUG", "NAME", "PLAN", "STATUS", "CELL", "URL"]] + stores.map {
                [$0["slug"] as? String ?? "", $0["name"] as? String ?? "", $0["plan"] as? String ?? "", $0["status"] as? String ?? "",
                 $0["cell_id"] as? String ?? "-", $0["url"] as? String ?? ""]
            }))
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one store.")
        @OptionGroup var manager: ManagerConnection
        @Argument var slug: String

        func run() async throws {
            let store = try await manager.call(.GET, "/v1/stores/\(slug)")["store"] as? [String: Any] ?? [:]
            guard !manager.json else { return }
            for key in ["slug", "name", "plan", "status", "owner_email", "currency", "cell_id", "database_id", "url", "created_at"] {
                print("\(key.padding(toLength: 12, withPad: " ", startingAt: 0)) \(store[key].map { "\($0)" } ?? "-")")
            }
        }
    }

    struct ChangePlan: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "plan", abstract: "Move a store to another plan (standard or enterprise).")
        @OptionGroup var manager: ManagerConnection
        @Argument var slug: String
        @Argument var plan: String

        func run() async throws {
            let reply = try await manager.call(.POST, "/v1/stores/\(slug)/plan", body: ["plan": plan])
            guard let job = reply["job"] as? [String: Any], let id = job["id"] as? Int else {
                if !manager.json { print("\(slug) is already on \(plan).") }
                return
            }
            if !manager.json { print("Moving \(slug) to \(plan)…") }
            let finished = try await manager.follow(job: id, quiet: manager.json)
            guard finished["state"] as? String == "succeeded" else { throw OperatorError("plan change failed: \(finished["last_error"] ?? "")") }
            if !manager.json { print("Done.") }
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Take a store offline; its data goes after the grace period, or now with --purge.")
        @OptionGroup var manager: ManagerConnection
        @Argument var slug: String
        @Flag(help: "Remove the data now.") var purge = false

        func run() async throws {
            let reply = try await manager.call(.DELETE, "/v1/stores/\(slug)" + (purge ? "?purge=true" : ""))
            guard !manager.json else { return }
            let job = reply["job"] as? [String: Any] ?? [:]
            print("\(slug) is offline; deletion job \(job["id"] ?? "?") runs \(purge ? "now" : "after the grace period").")
        }
    }
}

struct DomainsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "domains", abstract: "A store's custom domains.", subcommands: [Add.self, Verify.self, List.self, Remove.self])

    static func show(_ domain: [String: Any]) {
        print("\(domain["hostname"] ?? "")  \(domain["status"] ?? "")\((domain["primary"] as? Bool) == true ? "  (primary)" : "")")
        for record in domain["records"] as? [[String: Any]] ?? [] {
            print("  create \(record["type"] ?? "") \(record["name"] ?? "") → \(record["value"] ?? "")")
        }
        if let message = domain["message"] as? String, !message.isEmpty { print("  \(message)") }
    }

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add a custom domain and show the DNS records to create.")
        @OptionGroup var manager: ManagerConnection
        @Argument var slug: String
        @Argument var hostname: String

        func run() async throws {
            let domain = try await manager.call(.POST, "/v1/stores/\(slug)/domains", body: ["hostname": hostname])["domain"] as? [String: Any] ?? [:]
            if !manager.json { DomainsCommand.show(domain) }
        }
    }

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Check a custom domain's DNS and make it live.")
        @OptionGroup var manager: ManagerConnection
        @Argument var slug: String
        @Argument var hostname: String

        func run() async throws {
            let domain = try await manager.call(.POST, "/v1/stores/\(slug)/domains/\(hostname)/verify")["domain"] as? [String: Any] ?? [:]
            if !manager.json { DomainsCommand.show(domain) }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List a store's domains.")
        @OptionGroup var manager: ManagerConnection
        @Argument var slug: String

        func run() async throws {
            let domains = try await manager.call(.GET, "/v1/stores/\(slug)/domains")["domains"] as? [[String: Any]] ?? []
            if !manager.json { domains.forEach(DomainsCommand.show) }
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove a custom domain.")
        @OptionGroup var manager: ManagerConnection
        @Argument var slug: String
        @Argument var hostname: String

        func run() async throws {
            _ = try await manager.call(.DELETE, "/v1/stores/\(slug)/domains/\(hostname)")
            if !manager.json { print("Removed \(hostname).") }
        }
    }
}

struct JobsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "jobs", abstract: "Durable jobs: list, inspect, retry.", subcommands: [List.self, Show.self, Retry.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List recent jobs.")
        @OptionGroup var manager: ManagerConnection
        @Option(help: "queued, running, retrying, succeeded, dead or canceled.") var state: String?

        func run() async throws {
            let jobs = try await manager.call(.GET, "/v1/jobs" + (state.map { "?state=\($0)" } ?? ""))["jobs"] as? [[String: Any]] ?? []
            guard !manager.json else { return }
            print(table([["ID", "KIND", "STORE", "STATE", "ATTEMPTS", "STEPS", "ERROR"]] + jobs.map {
                ["\($0["id"] ?? "")", $0["kind"] as? String ?? "", $0["store_slug"] as? String ?? "-", $0["state"] as? String ?? "",
                 "\($0["attempts"] ?? 0)/\($0["max_attempts"] ?? 0)", ($0["steps_done"] as? [String] ?? []).joined(separator: ","),
                 String(($0["last_error"] as? String ?? "").prefix(60))]
            }))
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one job.")
        @OptionGroup var manager: ManagerConnection
        @Argument var id: Int

        func run() async throws {
            let job = try await manager.call(.GET, "/v1/jobs/\(id)")["job"] as? [String: Any] ?? [:]
            guard !manager.json else { return }
            for key in ["id", "kind", "store_slug", "state", "steps_done", "current_step", "attempts", "max_attempts", "run_after", "last_error", "created_at", "finished_at"] {
                print("\(key.padding(toLength: 13, withPad: " ", startingAt: 0)) \(job[key].map { "\($0)" } ?? "-")")
            }
        }
    }

    struct Retry: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Put a dead job back in the queue.")
        @OptionGroup var manager: ManagerConnection
        @Argument var id: Int

        func run() async throws {
            _ = try await manager.call(.POST, "/v1/jobs/\(id)/retry")
            if !manager.json { print("Job \(id) queued again.") }
        }
    }
}

extension StoresCommand {
    struct Pin: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Keep a dedicated store on a version (releases skip it), moving it there now.")
        @OptionGroup var manager: ManagerConnection
        @Argument(help: "The store's slug.") var slug: String
        @Argument(help: "A released version, or the manager's own.") var version: String

        func run() async throws {
            let pinned = try await manager.call(.PUT, "/v1/stores/\(slug)/pin", body: ["version": version])
            guard !manager.json else { return }
            print("\(slug) pinned to \(version).")
            if let id = (pinned["job"] as? [String: Any])?["id"] as? Int {
                let job = try await manager.follow(job: id, quiet: false)
                guard job["state"] as? String == "succeeded" else { throw OperatorError("moving the cell \(job["state"] ?? "failed"): \(job["last_error"] ?? "")") }
                print("Its cell runs \(version).")
            }
        }
    }

    struct Unpin: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Let releases take the store again.")
        @OptionGroup var manager: ManagerConnection
        @Argument(help: "The store's slug.") var slug: String

        func run() async throws {
            _ = try await manager.call(.DELETE, "/v1/stores/\(slug)/pin")
            if !manager.json { print("\(slug) unpinned: the next release updates it.") }
        }
    }
}
