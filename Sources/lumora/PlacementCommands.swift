import ArgumentParser
import Foundation

/// `lumora databases list|add|drain|close|open`: the databases store schemas live in, their
/// room and state.
struct DatabasesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "databases", abstract: "The databases that hold store schemas.",
        subcommands: [List.self, Add.self, Drain.self, Close.self, Open.self])

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Record another database for store schemas (the manager connects to it first).")
        @OptionGroup var manager: ManagerConnection
        @Argument(help: "Its id: lowercase letters, digits and hyphens.") var id: String
        @Option(help: "Where the manager finds its URL: env:<VARIABLE> of the manager's environment.") var connection: String
        @Option(help: "Stores it takes before signup stops placing stores there.") var capacity: Int = 5000

        func run() async throws {
            let reply = try await manager.call(.POST, "/v1/databases", body: ["id": id, "connection_ref": connection, "capacity_stores": capacity])
            if !manager.json, let database = reply["database"] as? [String: Any] {
                print("Recorded \(database["id"] ?? id) (\(database["state"] ?? "open"), room for \(database["capacity_stores"] ?? capacity) stores).")
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the databases, with their stores, capacity and cells.")
        @OptionGroup var manager: ManagerConnection

        func run() async throws {
            let databases = try await manager.call(.GET, "/v1/databases")["databases"] as? [[String: Any]] ?? []
            guard !manager.json else { return }
            print(table([["ID", "STATE", "STORES", "CAPACITY", "CELLS", "CONNECTION"]] + databases.map {
                [$0["id"] as? String ?? "", $0["state"] as? String ?? "", "\($0["stores"] as? Int ?? 0)", "\($0["capacity_stores"] as? Int ?? 0)",
                 ($0["cells"] as? [String] ?? []).joined(separator: ","), $0["connection_ref"] as? String ?? "(control database)"]
            }))
        }
    }

    struct Drain: DatabaseStateCommand {
        static let configuration = CommandConfiguration(abstract: "Stop placing new stores on a database, to move its stores off.")
        static let state = "draining"
        static let done = "is draining: signup places no new store there."
        @OptionGroup var manager: ManagerConnection
        @Argument var id: String
    }

    struct Close: DatabaseStateCommand {
        static let configuration = CommandConfiguration(abstract: "Mark a database full: it keeps its stores and takes no new one.")
        static let state = "full"
        static let done = "is full: signup places no new store there."
        @OptionGroup var manager: ManagerConnection
        @Argument var id: String
    }

    struct Open: DatabaseStateCommand {
        static let configuration = CommandConfiguration(abstract: "Let signup place new stores on a database again.")
        static let state = "open"
        static let done = "is open for new stores."
        @OptionGroup var manager: ManagerConnection
        @Argument var id: String
    }
}

/// `lumora databases drain|close|open <id>`: one state change each.
protocol DatabaseStateCommand: AsyncParsableCommand {
    static var state: String { get }
    /// What is printed after the id once done.
    static var done: String { get }
    var manager: ManagerConnection { get }
    var id: String { get }
}

extension DatabaseStateCommand {
    func run() async throws {
        _ = try await manager.call(.PUT, "/v1/databases/\(id)/state", body: ["state": Self.state])
        if !manager.json { print("\(id) \(Self.done)") }
    }
}

/// `lumora cells list`: every cell, where it answers and what it serves.
struct CellsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cells", abstract: "The cells that serve stores.", subcommands: [List.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the cells, with their database, status and stores.")
        @OptionGroup var manager: ManagerConnection

        func run() async throws {
            let reply = try await manager.call(.GET, "/v1/cells")
            guard !manager.json else { return }
            let cells = reply["cells"] as? [[String: Any]] ?? []
            print(table([["ID", "KIND", "DATABASE", "STATUS", "VERSION", "STORES", "ENDPOINT"]] + cells.map {
                [$0["id"] as? String ?? "", $0["kind"] as? String ?? "", $0["database_id"] as? String ?? "", $0["status"] as? String ?? "",
                 $0["version"] as? String ?? "", "\(($0["stores"] as? [String] ?? []).count)", $0["endpoint"] as? String ?? "-"]
            }))
            if let unplaced = reply["unplaced"] as? [String], !unplaced.isEmpty {
                print("Not placed yet (served by every shared cell of their database): \(unplaced.joined(separator: ", "))")
            }
        }
    }
}

extension StoresCommand {
    /// `lumora stores move <slug> --cell <id>`: to another shared cell of its database, while
    /// it sells.
    struct Move: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Move a standard store to another shared cell of its database, without a failed request.")
        @OptionGroup var manager: ManagerConnection
        @Argument var slug: String
        @Option(help: "The shared cell to move it to (see `lumora cells list`).") var cell: String

        func run() async throws {
            let reply = try await manager.call(.POST, "/v1/stores/\(slug)/move", body: ["cell": cell])
            guard let job = reply["job"] as? [String: Any], let id = job["id"] as? Int else {
                if !manager.json { print("\(slug) is already on \(cell).") }
                return
            }
            if !manager.json { print("Moving \(slug) to \(cell)…") }
            let finished = try await manager.follow(job: id, quiet: manager.json)
            guard finished["state"] as? String == "succeeded" else { throw OperatorError("move failed: \(finished["last_error"] ?? "")") }
            if !manager.json { print("Done: \(slug) is served by \(cell).") }
        }
    }
}
