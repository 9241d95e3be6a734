import Foundation
import LumoraCore

/// `GET /api/admin/overview`: the dashboard's first page — today's orders and revenue (UTC
/// days; canceled orders left out), the orders still to fulfil, options running low, the
/// latest orders.
public struct OverviewWire: Codable, Sendable, Equatable {
    public struct LowStock: Codable, Sendable, Equatable {
        public let productId: String
        public let productTitle: String
        public let variantId: String
        public let variantTitle: String
        public let available: Int64

        public init(productId: String, productTitle: String, variantId: String, variantTitle: String, available: Int64) {
            self.productId = productId
            self.productTitle = productTitle
            self.variantId = variantId
            self.variantTitle = variantTitle
            self.available = available
        }

        enum CodingKeys: String, CodingKey {
            case productId = "product_id", productTitle = "product_title", variantId = "variant_id", variantTitle = "variant_title", available
        }
    }

    public struct RecentOrder: Codable, Sendable, Equatable {
        public let id: String
        public let displayId: Int64
        public let email: String
        public let status: String
        public let total: Money
        public let createdAt: Date

        public init(id: String, displayId: Int64, email: String, status: String, total: Money, createdAt: Date) {
            self.id = id
            self.displayId = displayId
            self.email = email
            self.status = status
            self.total = total
            self.createdAt = createdAt
        }

        enum CodingKeys: String, CodingKey { case id, displayId = "display_id", email, status, total, createdAt = "created_at" }
    }

    public let ordersToday: Int
    public let revenueToday: Money
    public let pendingOrders: Int
    /// Options with at most `lowStockThreshold` units left to sell, fewest first.
    public let lowStock: [LowStock]
    public let lowStockThreshold: Int64
    public let recentOrders: [RecentOrder]

    public init(ordersToday: Int, revenueToday: Money, pendingOrders: Int, lowStock: [LowStock], lowStockThreshold: Int64, recentOrders: [RecentOrder]) {
        self.ordersToday = ordersToday
        self.revenueToday = revenueToday
        self.pendingOrders = pendingOrders
        self.lowStock = lowStock
        self.lowStockThreshold = lowStockThreshold
        self.recentOrders = recentOrders
    }

    enum CodingKeys: String, CodingKey {
        case ordersToday = "orders_today", revenueToday = "revenue_today", pendingOrders = "pending_orders", lowStock = "low_stock",
             lowStockThreshold = "low_stock_threshold", recentOrders = "recent_orders"
    }
}
