import Foundation
import LumoraCore

/// The `Date` header's form, `Tue, 01 Jul 2025 09:05:00 +0000`, computed in UTC without a
/// `DateFormatter`, whose output follows the process's locale and calendar.
enum RFC5322Date {
    static func format(_ date: Date) -> String {
        let parts = UTCDateParts(secondsSince1970: Int64(date.timeIntervalSince1970.rounded(.down)))
        func two(_ value: Int64) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "\(weekdays[Int(parts.weekday)]), \(two(parts.day)) \(months[Int(parts.month) - 1]) \(parts.year) "
            + "\(two(parts.hour)):\(two(parts.minute)):\(two(parts.second)) +0000"
    }

    private static let weekdays = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
    private static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
}
