import HTTPTypes
import Hummingbird
import HummingbirdCore
import NIOCore
import Logging
import LumoraCore

/// Turns every error a handler throws into a `LumoraError`, so every failure leaves as
/// `{"error":{"code","message"}}`. Unexpected errors are logged with the request id and
/// answered with a generic 500: their text may carry internals.
public struct ErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    /// Maps errors a role knows about (database errors, say) before the generic fallback.
    public let translate: @Sendable (any Error) -> LumoraError?

    public init(translate: @escaping @Sendable (any Error) -> LumoraError? = { _ in nil }) {
        self.translate = translate
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as LumoraError {
            throw error
        } catch let error as HTTPError {
            throw LumoraError.from(error)
        } catch is NIOTooManyBytesError {
            throw LumoraError(.payloadTooLarge, code: "payload_too_large", message: "the request body is too large")
        } catch {
            if let mapped = translate(error) {
                if mapped.httpStatusCode >= 500 {
                    context.logger.error("request failed", metadata: ["error": "\(String(reflecting: error))"])
                }
                throw mapped
            }
            context.logger.error("unexpected error", metadata: ["error": "\(String(reflecting: error))"])
            throw LumoraError.internalError("something went wrong; the request id is \(context.id)")
        }
    }
}

extension LumoraError {
    /// Hummingbird's own errors (no route, wrong method, unreadable request) in Lumora's shape.
    static func from(_ error: HTTPError) -> LumoraError {
        let status = LumoraError.Status(rawValue: Int(error.status.code)) ?? (error.status.code >= 500 ? .internalError : .badRequest)
        let code: String
        switch error.status {
        case .notFound: code = "not_found"
        case .methodNotAllowed: code = "method_not_allowed"
        case .contentTooLarge: code = "payload_too_large"
        case .badRequest: code = "bad_request"
        default: code = error.status.reasonPhrase.lowercased().replacingOccurrences(of: " ", with: "_")
        }
        let message = error.body ?? (error.status == .notFound ? "no such endpoint" : error.status.reasonPhrase)
        return LumoraError(status, code: code, message: message)
    }
}
