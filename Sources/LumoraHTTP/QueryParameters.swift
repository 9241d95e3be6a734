import HTTPTypes
import Hummingbird
import HummingbirdCore
import NIOCore
import LumoraCore

/// `limit` and `offset` from a query string, validated (a bad value is a 400, not a default).
public struct Pagination: Sendable, Equatable {
    public var limit: Int
    public var offset: Int

    public static let maximumLimit = 100
    public static let maximumOffset = 100_000

    public init(limit: Int = 20, offset: Int = 0) {
        self.limit = limit
        self.offset = offset
    }

    public init(query: URI, defaultLimit: Int = 20) throws(LumoraError) {
        let parameters = query.queryParameters
        self.limit = try Self.integer(parameters.get("limit"), name: "limit", default: defaultLimit, range: 1...Self.maximumLimit)
        self.offset = try Self.integer(parameters.get("offset"), name: "offset", default: 0, range: 0...Self.maximumOffset)
    }

    private static func integer(_ raw: String?, name: String, default value: Int, range: ClosedRange<Int>) throws(LumoraError) -> Int {
        guard let raw else { return value }
        guard let number = Int(raw), range.contains(number) else {
            throw LumoraError.badRequest("invalid_pagination", "\(name) must be an integer from \(range.lowerBound) to \(range.upperBound)")
        }
        return number
    }
}

extension Parameters {
    /// A required path parameter, percent-decoded.
    public func decoded(_ name: String) throws(LumoraError) -> String {
        guard let raw = self.get(name) else {
            throw LumoraError.badRequest("missing_parameter", "the path lacks \(name)")
        }
        guard raw.utf8.contains(UInt8(ascii: "%")) else { return raw }
        return raw.removingPercentEncoding ?? raw
    }
}
