import HTTPTypes
import Hummingbird
import HummingbirdCore
import NIOCore

/// Adds `x-lumora-version` to every response (errors included), so a release can be watched
/// from the outside.
public struct VersionHeaderMiddleware<Context: RequestContext>: RouterMiddleware {
    public static var headerName: HTTPField.Name { HTTPField.Name("x-lumora-version")! }

    public let version: String

    public init(version: String) {
        self.version = version
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            var response = try await next(request, context)
            response.headers[Self.headerName] = version
            return response
        } catch let error as any HTTPResponseError {
            var response = try error.response(from: request, context: context)
            response.headers[Self.headerName] = version
            return response
        }
    }
}
