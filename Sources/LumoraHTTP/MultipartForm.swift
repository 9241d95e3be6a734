import LumoraCore
import MultipartKit
import NIOCore

/// A `multipart/form-data` body, parsed whole (uploads are bounded by `BodyLimits`): its parts
/// by field name. Malformed bodies are a 400 that says so.
public struct MultipartForm: Sendable {
    public struct Part: Sendable {
        public let name: String?
        public let filename: String?
        public let contentType: String?
        public let body: ByteBuffer
    }

    public let parts: [Part]

    /// The boundary of a `multipart/form-data` content type, or nil for any other type.
    public static func boundary(ofContentType contentType: String) -> String? {
        let pieces = contentType.split(separator: ";").map { String($0).trimmingASCIIWhitespace() }
        guard let type = pieces.first, type.lowercased() == "multipart/form-data" else { return nil }
        for parameter in pieces.dropFirst() {
            let pair = parameter.split(separator: "=", maxSplits: 1)
            guard pair.count == 2, String(pair[0]).trimmingASCIIWhitespace().lowercased() == "boundary" else { continue }
            var value = String(pair[1]).trimmingASCIIWhitespace()
            if value.count >= 2, value.hasPrefix("\""), value.hasSuffix("\"") { value = String(value.dropFirst().dropLast()) }
            // RFC 2046: 1 to 70 characters.
            return (1...70).contains(value.utf8.count) ? value : nil
        }
        return nil
    }

    public init(_ body: ByteBuffer, boundary: String) throws(LumoraError) {
        let parser = MultipartParser(boundary: boundary)
        var parts: [Part] = []
        var headers: [(String, String)] = []
        var content = ByteBuffer()
        parser.onHeader = { name, value in headers.append((name, value)) }
        parser.onBody = { chunk in content.writeBuffer(&chunk) }
        parser.onPartComplete = {
            let disposition = headers.first { $0.0.lowercased() == "content-disposition" }?.1 ?? ""
            parts.append(Part(name: Self.parameter("name", of: disposition), filename: Self.parameter("filename", of: disposition),
                              contentType: headers.first { $0.0.lowercased() == "content-type" }?.1, body: content))
            headers = []
            content = ByteBuffer()
        }
        do {
            try parser.execute(body)
        } catch {
            throw LumoraError.badRequest("invalid_multipart", "the multipart/form-data body could not be read")
        }
        guard !parts.isEmpty else { throw LumoraError.badRequest("invalid_multipart", "the multipart/form-data body has no parts") }
        self.parts = parts
    }

    public func first(named name: String) -> Part? { parts.first { $0.name == name } }

    /// A text field's value.
    public func text(_ name: String) -> String? { first(named: name).map { String(buffer: $0.body) } }

    /// `name="value"` (or unquoted) in a Content-Disposition header.
    static func parameter(_ name: String, of disposition: String) -> String? {
        for piece in disposition.split(separator: ";").dropFirst() {
            let pair = piece.split(separator: "=", maxSplits: 1)
            guard pair.count == 2, String(pair[0]).trimmingASCIIWhitespace().lowercased() == name else { continue }
            var value = String(pair[1]).trimmingASCIIWhitespace()
            if value.count >= 2, value.hasPrefix("\""), value.hasSuffix("\"") { value = String(value.dropFirst().dropLast()) }
            return value
        }
        return nil
    }
}

/// How large a request body may be: one limit for everything but image uploads (POST to
/// `…/admin/media`), which may carry an image of `ImageLimits.maximumBytes` and the form
/// around it. The edge and the cell apply the same rule.
public struct BodyLimits: Sendable, Equatable {
    public var general: Int
    public var upload: Int

    public static let uploadPath = "/admin/media"

    public init(general: Int = 256 * 1024, upload: Int = 10 * 1_048_576 + 64 * 1024) {
        self.general = general
        self.upload = upload
    }

    /// The limit for a request to `path` (the cell's path, or the edge's `/api/admin/media`).
    public func limit(forPath path: some StringProtocol) -> Int {
        Self.isUpload(path) ? upload : general
    }

    public func tooLarge(path: some StringProtocol) -> LumoraError {
        if Self.isUpload(path) {
            return LumoraError(.payloadTooLarge, code: "image_too_large", message: "an image may be at most \((upload - 64 * 1024) / 1_048_576) MB")
        }
        return LumoraError(.payloadTooLarge, code: "payload_too_large", message: "the request body is larger than \(general) bytes")
    }

    /// Whether `path` is the upload route (`/admin/media` at the cell, `/api/admin/media` at the edge).
    public static func isUpload(_ path: some StringProtocol) -> Bool {
        path.elementsEqual(uploadPath) || path.elementsEqual("/api" + uploadPath)
    }
}
