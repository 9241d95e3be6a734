import HTTPTypes
import Hummingbird
import HummingbirdCore
import LumoraCore

/// Refuses a request whose target holds a control character (`%00` in a query, say) with a
/// 400 `invalid_field` before any handler can pass it to PostgreSQL, which would refuse it with
/// a server error — and a visitor must never be able to make a server error.
public struct ControlCharacterMiddleware<Context: RequestContext>: RouterMiddleware {
    public init() {}

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard !ControlCharacters.inPercentEncoded(request.uri.description.utf8) else {
            throw LumoraError.badRequest("invalid_field", "the address holds a control character; remove it and try again")
        }
        return try await next(request, context)
    }
}
