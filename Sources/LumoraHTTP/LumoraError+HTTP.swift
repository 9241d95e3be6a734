import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import NIOCore
import LumoraCore

/// The one place a `LumoraError` becomes an HTTP response: its status, and the body
/// `{"error":{"code","message"}}`.
extension LumoraError: HTTPResponseError {
    public var status: HTTPResponse.Status { HTTPResponse.Status(code: httpStatusCode) }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        Response(status: status, headers: responseHeaders, body: .init(byteBuffer: responseBody))
    }

    /// The content type, and `Retry-After` on a 429 or 503 that says when.
    public var responseHeaders: HTTPFields {
        var headers: HTTPFields = [.contentType: "application/json; charset=utf-8"]
        if status == .tooManyRequests || status == .serviceUnavailable, let retryAfter = retryAfterSeconds {
            headers[.retryAfter] = String(retryAfter)
        }
        return headers
    }

    /// `{"error":{"code","message"}}`.
    public var responseBody: ByteBuffer {
        let data = (try? JSONWire.encoder.encode(body)) ?? Data(#"{"error":{"code":"internal_error","message":"error"}}"#.utf8)
        return ByteBuffer(bytes: data)
    }
}

extension LumoraError {
    /// 429 with a `Retry-After` header.
    public static func tooManyRequests(retryAfter seconds: Int, message: String) -> LumoraError {
        var error = LumoraError(.tooManyRequests, code: "rate_limited", message: message)
        error.retryAfterSeconds = max(1, seconds)
        return error
    }
}
