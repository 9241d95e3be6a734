import Hummingbird
import LumoraCore
import LumoraHTTP

/// `/v1/databases`, `/v1/cells` and `/v1/stores/:slug/move`: where stores are, and moving one.
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

    struct CellsBody: Encodable, Sendable {
        let cells: [CellView]
        let unplaced: [String]
    }

    func add(to group: RouterGroup<ManagerRequestContext>) {
        group.get("databases") { _, _ in
            try JSONWire.response(["databases": try await placement.databases()])
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
