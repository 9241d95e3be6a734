import Hummingbird
import LumoraCore
import LumoraHTTP

/// `/v1/databases` (list, add, open/close/drain), `/v1/cells` and `/v1/stores/:slug/move`:
/// where stores are, and moving one.
struct PlacementRoutes: Sendable {
    let placement: PlacementService
    let maximumBodySize: Int

    struct MoveRequest: Decodable {
        let cell: String?
        let database: String?
    }

    struct MoveBody: Encodable, Sendable {
        let store: StoreView
        let job: JobRecord?
    }

    struct AddDatabaseRequest: Decodable {
        let id: String?
        let connectionRef: String?
        let capacityStores: Int?

        enum CodingKeys: String, CodingKey {
            case id, connectionRef = "connection_ref", capacityStores = "capacity_stores"
        }
    }

    struct StateRequest: Decodable {
        let state: String?
    }

    /// What signup gives a database when the operator names no capacity.
    static let defaultCapacity = 5000

    struct CellsBody: Encodable, Sendable {
        let cells: [CellView]
        let unplaced: [String]
    }

    func add(to group: RouterGroup<ManagerRequestContext>) {
        group.get("databases") { _, _ in
            try JSONWire.response(["databases": try await placement.databases()])
        }
        group.post("databases") { request, _ in
            let body = try await JSONWire.decode(AddDatabaseRequest.self, from: request, limit: maximumBodySize)
            guard let id = body.id, let ref = body.connectionRef else {
                throw LumoraError.badRequest("invalid_database", "give the database an id and a connection_ref: {\"id\": …, \"connection_ref\": \"env:…\"}")
            }
            let database = try await placement.addDatabase(id: id, connectionRef: ref, capacityStores: body.capacityStores ?? Self.defaultCapacity)
            return try JSONWire.response(["database": database], status: .created)
        }
        group.put("databases/:id/state") { request, context in
            let body = try await JSONWire.decode(StateRequest.self, from: request, limit: maximumBodySize)
            let id = try context.parameters.require("id")
            let database = try await placement.setState(ofDatabase: id, to: body.state ?? "")
            return try JSONWire.response(["database": database])
        }
        group.get("cells") { _, _ in
            let (cells, unplaced) = try await placement.cells()
            return try JSONWire.response(CellsBody(cells: cells, unplaced: unplaced))
        }
        group.post("stores/:slug/move") { request, context in
            let body = try await JSONWire.decode(MoveRequest.self, from: request, limit: maximumBodySize)
            let slug = try context.storeSlug()
            if body.database != nil {
                throw LumoraError(.unprocessable, code: "database_moves_unavailable",
                                  message: "moves between databases are not available yet; move the store to another cell of its database with {\"cell\": …}")
            }
            guard let cell = body.cell, !cell.isEmpty else {
                throw LumoraError.badRequest("invalid_move", "say where the store goes: {\"cell\": \"<cell id>\"}")
            }
            let (store, job) = try await placement.move(slug, toCell: cell)
            return try JSONWire.response(MoveBody(store: store, job: job), status: job == nil ? .ok : .accepted)
        }
    }
}
