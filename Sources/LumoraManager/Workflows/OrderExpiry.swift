import Foundation
import Logging
import LumoraCore
import LumoraDatabase
import LumoraHTTP
import LumoraWire

/// Cancels an order whose online payment did not arrive in its window and releases its stock.
/// Queued by the cell in the transaction that wrote the order, due at the deadline; the store's
/// own `expire_unpaid_order` decides (a payment that arrived first keeps the order), so a
/// second run, or one racing a late payment, changes nothing.
struct ExpireOrderJob: JobHandler {
    let platform: Platform

    func run(_ job: JobRecord, steps: JobSteps) async throws {
        guard let raw = job.storeSlug, let slug = try? StoreSlug(validating: raw) else {
            throw PermanentJobFailure("an expiry job without a store")
        }
        guard let payload = try? JSONWire.decoder.decode(ExpireOrderJobWire.self, from: Data(job.payloadJSON.utf8)) else {
            throw PermanentJobFailure("an expiry job whose payload is not an order")
        }
        let expired = try await TenantScope(client: platform.client, logger: platform.logger).withStore(slug) { connection in
            try await connection.query(ManagerSQL.expireUnpaidOrder(id: payload.order), logger: platform.logger).collect(Bool.self).first ?? false
        }
        if expired {
            platform.logger.info("unpaid order expired; its stock is released", metadata: ["store": "\(slug)", "order": "\(payload.order)"])
        }
    }
}
