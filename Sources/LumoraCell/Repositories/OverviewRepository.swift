import Foundation
import Logging
import LumoraCore
import LumoraDatabase
import LumoraWire
import PostgresNIO

/// The dashboard's first page in one store transaction: today's orders and revenue, what is
/// left to fulfil, the options running low and the latest orders.
struct OverviewRepository: Sendable {
    let scope: TenantScope
    let logger: Logger
    static let lowStockThreshold: Int64 = 5

    func overview(_ store: StoreSlug, currency: CurrencyCode) async throws -> OverviewWire {
        try await scope.withStore(store) { connection in
            let totals = try await connection.query(CellSQL.orderTotals, logger: logger).collect((Int, Int64, Int).self).first
            let (today, revenue, pending) = totals ?? (0, Int64(0), 0)
            let low = try await connection.query(CellSQL.lowStock(threshold: Self.lowStockThreshold, limit: 10), logger: logger)
                .collect((Int64, String, Int64, String, Int64).self)
                .map { OverviewWire.LowStock(productId: ResourceID.product.format($0.0), productTitle: $0.1, variantId: ResourceID.variant.format($0.2),
                                             variantTitle: $0.3, available: $0.4) }
            let recent = try await connection.query(CellSQL.recentOrders(limit: 5), logger: logger)
                .collect((Int64, String, String, Int64, String, Date).self)
                .map { id, email, status, total, code, created in
                    OverviewWire.RecentOrder(id: ResourceID.order.format(id), displayId: id, email: email, status: status,
                                             total: Money(amount: total, currency: (try? CurrencyCode(validating: code)) ?? currency), createdAt: created)
                }
            return OverviewWire(ordersToday: today, revenueToday: Money(amount: revenue, currency: currency), pendingOrders: pending,
                                lowStock: low, lowStockThreshold: Self.lowStockThreshold, recentOrders: recent)
        }
    }
}
