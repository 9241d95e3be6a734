import Foundation
import LumoraCore

/// JSON written straight into bytes, for the responses a cell sends most (catalog pages):
/// Foundation's `JSONEncoder` was a third of the uncached cell's CPU (docs/BENCHMARKS.md). The
/// output is what `JSONWire.encoder` makes of the same value — same keys, absent optionals
/// left out, ISO 8601 dates in whole seconds, `/` unescaped — which `JSONWriterTests` checks by
/// decoding both. Strings are escaped here and nowhere else.
public struct JSONWriter: Sendable {
    public private(set) var bytes: [UInt8] = []
    /// Per open object or array: whether the next member needs a comma first.
    private var needsComma: [Bool] = []

    public init(capacity: Int = 4096) {
        bytes.reserveCapacity(capacity)
    }

    // MARK: Structure

    public mutating func object(_ body: (inout JSONWriter) -> Void) {
        beginValue()
        bytes.append(UInt8(ascii: "{"))
        needsComma.append(false)
        body(&self)
        needsComma.removeLast()
        bytes.append(UInt8(ascii: "}"))
    }

    public mutating func array<Element>(_ elements: [Element], _ write: (inout JSONWriter, Element) -> Void) {
        beginValue()
        bytes.append(UInt8(ascii: "["))
        needsComma.append(false)
        for element in elements { write(&self, element) }
        needsComma.removeLast()
        bytes.append(UInt8(ascii: "]"))
    }

    /// A member's key (the wire format's plain ASCII names: written as they are).
    public mutating func key(_ name: StaticString) {
        beginValue()
        bytes.append(UInt8(ascii: "\""))
        name.withUTF8Buffer { bytes.append(contentsOf: $0) }
        bytes.append(contentsOf: [UInt8(ascii: "\""), UInt8(ascii: ":")])
        afterKey = true
    }

    /// A key whose name is data (a page's item key): escaped like any string.
    public mutating func key(_ name: String) {
        beginValue()
        writeString(name)
        bytes.append(UInt8(ascii: ":"))
        afterKey = true
    }

    /// Set between a key and its value: the value is that member's, not a new one.
    private var afterKey = false

    /// Before a member of an object (its key) or an element of an array: a comma after the
    /// first.
    private mutating func beginValue() {
        if afterKey {
            afterKey = false
            return
        }
        guard let last = needsComma.indices.last else { return }
        if needsComma[last] { bytes.append(UInt8(ascii: ",")) }
        needsComma[last] = true
    }

    // MARK: Values

    public mutating func value(_ string: String) {
        beginValue()
        writeString(string)
    }

    public mutating func value(_ number: Int64) {
        beginValue()
        writeInteger(number)
    }

    public mutating func value(_ number: Int) {
        value(Int64(number))
    }

    public mutating func value(_ flag: Bool) {
        beginValue()
        bytes.append(contentsOf: flag ? Self.trueBytes : Self.falseBytes)
    }

    /// ISO 8601 in UTC to the second, as `JSONEncoder`'s `.iso8601` strategy writes it.
    public mutating func value(_ date: Date) {
        beginValue()
        bytes.append(UInt8(ascii: "\""))
        ISO8601Seconds.write(date, into: &bytes)
        bytes.append(UInt8(ascii: "\""))
    }

    public mutating func value(_ strings: [String]) {
        array(strings) { $0.value($1) }
    }

    /// `key: value`, left out when `value` is nil (as synthesized `Encodable` does).
    public mutating func member(_ name: StaticString, ifPresent value: String?) {
        guard let value else { return }
        key(name)
        self.value(value)
    }

    public mutating func member(_ name: StaticString, ifPresent value: Int64?) {
        guard let value else { return }
        key(name)
        self.value(value)
    }

    private static let trueBytes = Array("true".utf8)
    private static let falseBytes = Array("false".utf8)

    private mutating func writeInteger(_ number: Int64) {
        // An integer's text fits a small string: no allocation.
        bytes.append(contentsOf: String(number).utf8)
    }

    /// JSON's escapes: `"` and `\`, and control characters (as `JSONEncoder` writes them:
    /// the short forms where JSON has one, else `\u00XX`).
    private mutating func writeString(_ string: String) {
        bytes.append(UInt8(ascii: "\""))
        var string = string
        string.withUTF8 { utf8 in
            var start = 0
            for index in 0..<utf8.count {
                let byte = utf8[index]
                guard byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") else { continue }
                bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[start..<index]))
                start = index + 1
                switch byte {
                case UInt8(ascii: "\""): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
                case UInt8(ascii: "\\"): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
                case 0x0A: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
                case 0x0D: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
                case 0x09: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
                case 0x08: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "b")])
                case 0x0C: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "f")])
                default:
                    bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"),
                                              Self.hex[Int(byte >> 4)], Self.hex[Int(byte & 0x0F)]])
                }
            }
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[start...]))
        }
        bytes.append(UInt8(ascii: "\""))
    }

    private static let hex = Array("0123456789abcdef".utf8)
}

/// A wire value `JSONWriter` writes without Foundation's encoder; the bytes decode to what the
/// value's `Encodable` conformance writes (`JSONWriterTests`).
public protocol JSONWritable {
    func write(to json: inout JSONWriter)
}

extension JSONWritable {
    /// The value as JSON bytes.
    public var jsonBytes: [UInt8] {
        var json = JSONWriter()
        write(to: &json)
        return json.bytes
    }
}

/// `yyyy-MM-ddTHH:mm:ssZ`: whole seconds, rounded down, as `JSONEncoder`'s `.iso8601` writes.
enum ISO8601Seconds {
    static func write(_ date: Date, into bytes: inout [UInt8]) {
        let parts = UTCDateParts(secondsSince1970: Int64(date.timeIntervalSince1970.rounded(.down)))
        append(parts.year, width: 4, to: &bytes)
        bytes.append(UInt8(ascii: "-"))
        append(parts.month, width: 2, to: &bytes)
        bytes.append(UInt8(ascii: "-"))
        append(parts.day, width: 2, to: &bytes)
        bytes.append(UInt8(ascii: "T"))
        append(parts.hour, width: 2, to: &bytes)
        bytes.append(UInt8(ascii: ":"))
        append(parts.minute, width: 2, to: &bytes)
        bytes.append(UInt8(ascii: ":"))
        append(parts.second, width: 2, to: &bytes)
        bytes.append(UInt8(ascii: "Z"))
    }

    /// `value`'s last `width` digits, zero-padded, straight into `bytes` (six fields per date, on
    /// the hot path: no array each).
    private static func append(_ value: Int64, width: Int, to bytes: inout [UInt8]) {
        var divisor: Int64 = 1
        for _ in 1..<width { divisor *= 10 }
        while divisor > 0 {
            bytes.append(UInt8(ascii: "0") + UInt8(value / divisor % 10))
            divisor /= 10
        }
    }
}
