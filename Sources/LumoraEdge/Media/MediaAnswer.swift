import LumoraMedia
import NIOCore

/// What the edge answers for a media file it holds, decided without sockets (the Hummingbird
/// route and the fast path both use it): `304` when `If-None-Match` names it, `206` for one
/// satisfiable byte range (`If-Range` respected), `416` for a range past the end, else `200`.
/// Several ranges at once are answered with the whole file, as RFC 9110 allows.
struct MediaAnswer: Equatable {
    enum Status: Int { case ok = 200, partialContent = 206, notModified = 304, rangeNotSatisfiable = 416 }

    let status: Status
    let headers: [(String, String)]
    /// The bytes to send: the whole file, one range of it, or nothing.
    let body: Range<Int>

    static func == (left: MediaAnswer, right: MediaAnswer) -> Bool {
        left.status == right.status && left.body == right.body
            && left.headers.map { "\($0.0): \($0.1)" } == right.headers.map { "\($0.0): \($0.1)" }
    }

    /// A year, and `immutable`: a name's bytes never change (it is their hash).
    static let cacheControl = "public, max-age=31536000, immutable"

    static func decide(file: MediaFile, length: Int, ifNoneMatch: String?, range: String?, ifRange: String?) -> MediaAnswer {
        let etag = "\"\(file.name)\""
        var headers = [("content-type", file.format.contentType), ("etag", etag), ("cache-control", cacheControl), ("accept-ranges", "bytes")]
        if let ifNoneMatch, Self.matches(ifNoneMatch, etag: etag) {
            return MediaAnswer(status: .notModified, headers: headers, body: 0..<0)
        }
        if let range, ifRange.map({ $0.trimmingCharacters(in: .whitespaces) == etag }) ?? true {
            switch ByteRange.parse(range, length: length) {
            case .none:
                break
            case .unsatisfiable:
                headers.append(("content-range", "bytes */\(length)"))
                return MediaAnswer(status: .rangeNotSatisfiable, headers: headers, body: 0..<0)
            case .range(let bytes):
                headers.append(("content-range", "bytes \(bytes.lowerBound)-\(bytes.upperBound - 1)/\(length)"))
                return MediaAnswer(status: .partialContent, headers: headers, body: bytes)
            }
        }
        return MediaAnswer(status: .ok, headers: headers, body: 0..<length)
    }

    /// `If-None-Match`: `*`, or a list of entity tags compared weakly (RFC 9110 §13.1.2).
    static func matches(_ header: String, etag: String) -> Bool {
        header.split(separator: ",").contains { candidate in
            var tag = candidate.trimmingCharacters(in: .whitespaces)
            if tag == "*" { return true }
            if tag.hasPrefix("W/") { tag.removeFirst(2) }
            return tag == etag
        }
    }
}

/// One `Range: bytes=…` header against a file of `length` bytes.
enum ByteRange: Equatable {
    /// No usable range (absent, malformed, another unit, several ranges): send the whole file.
    case none
    case unsatisfiable
    case range(Range<Int>)

    static func parse(_ header: String, length: Int) -> ByteRange {
        let trimmed = header.trimmingCharacters(in: .whitespaces)
        guard trimmed.lowercased().hasPrefix("bytes=") else { return .none }
        let spec = trimmed.dropFirst("bytes=".count)
        guard !spec.contains(","), let dash = spec.firstIndex(of: "-") else { return .none }
        let first = spec[..<dash].trimmingCharacters(in: .whitespaces), last = spec[spec.index(after: dash)...].trimmingCharacters(in: .whitespaces)
        guard first.count <= 18, last.count <= 18 else { return .none }
        switch (Int(first), Int(last)) {
        case (let start?, nil) where last.isEmpty:
            return start < length ? .range(start..<length) : .unsatisfiable
        case (let start?, let end?) where start <= end:
            return start < length ? .range(start..<min(end + 1, length)) : .unsatisfiable
        case (nil, let suffix?) where first.isEmpty:
            return suffix > 0 && length > 0 ? .range(max(0, length - suffix)..<length) : .unsatisfiable
        default:
            return .none
        }
    }
}
