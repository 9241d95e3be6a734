import AsyncHTTPClient
import Foundation
import LumoraCore
import LumoraHTTP
import LumoraWire
import NIOCore
import NIOHTTP1

/// The manager's account API, as the dashboard calls it: the accounts token (only the edge has
/// it), the signed-in person's session and the visitor's address on every call. Every path
/// segment that came from a visitor goes through `RequestTarget`'s encoding. A 4xx comes back
/// as the manager's `LumoraError` (its code and words); anything else as "unavailable".
struct AccountsClient: Sendable {
    let managerURL: String
    let token: String
    let http: HTTPClient

    struct NoBody: Encodable {}

    func get<Answer: Decodable>(_ target: RequestTarget, session: String?, visitor: String?, as: Answer.Type) async throws -> Answer {
        try await call(.GET, target, body: Optional<NoBody>.none, session: session, visitor: visitor, patience: Self.patience, as: Answer.self)
    }

    /// `patience` is how long the manager may take: a signup can wait behind a store schema
    /// being built (when the warm pool ran dry), and giving up early would leave the merchant
    /// told "try again" about a store that was in fact made. (The edge's client stops reading
    /// after 30 s of silence whatever this says.)
    func post<Answer: Decodable>(_ target: RequestTarget, _ body: some Encodable, session: String?, visitor: String?,
                                 patience: TimeAmount = Self.patience, as: Answer.Type) async throws -> Answer {
        try await call(.POST, target, body: body, session: session, visitor: visitor, patience: patience, as: Answer.self)
    }

    static let patience = TimeAmount.seconds(15)

    /// A call whose answer has no body worth reading (204, 202).
    func send(_ method: HTTPMethod, _ target: RequestTarget, _ body: (some Encodable)?, session: String?, visitor: String?) async throws {
        _ = try await raw(method, target, body: body, session: session, visitor: visitor, patience: Self.patience)
    }

    private func call<Answer: Decodable>(_ method: HTTPMethod, _ target: RequestTarget, body: (some Encodable)?, session: String?,
                                         visitor: String?, patience: TimeAmount, as: Answer.Type) async throws -> Answer {
        let data = try await raw(method, target, body: body, session: session, visitor: visitor, patience: patience)
        do {
            return try JSONWire.decoder.decode(Answer.self, from: data)
        } catch {
            throw LumoraError(.badGateway, code: "bad_manager_answer", message: "The store service gave an answer we could not read.")
        }
    }

    private func raw(_ method: HTTPMethod, _ target: RequestTarget, body: (some Encodable)?, session: String?, visitor: String?,
                     patience: TimeAmount) async throws -> Data {
        var request = HTTPClientRequest(url: managerURL + "/accounts/v1" + target.text)
        request.method = method
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        // Session tokens and addresses are checked for header-safe bytes before they are sent.
        if let session, HeaderBytes.isValidValue(session) { request.headers.add(name: "x-lumora-session", value: session) }
        if let visitor, HeaderBytes.isValidValue(visitor) { request.headers.add(name: "x-lumora-visitor", value: visitor) }
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: try JSONWire.encoder.encode(body)))
        }
        let status: HTTPResponseStatus
        let buffer: ByteBuffer
        do {
            let response = try await http.execute(request, timeout: patience)
            status = response.status
            buffer = try await response.body.collect(upTo: 1 << 20)
        } catch {
            throw LumoraError(.unavailable, code: "manager_unavailable", message: "We could not reach the store service. Please try again in a minute.")
        }
        let data = Data(buffer: buffer)
        guard (200..<300).contains(Int(status.code)) else {
            let detail = (try? JSONWire.decoder.decode(ErrorBody.self, from: data))?.error
            let kind = LumoraError.Status(rawValue: Int(status.code)).flatMap { (400..<500).contains($0.rawValue) ? $0 : nil } ?? .badGateway
            throw LumoraError(kind, code: detail?.code ?? "manager_error", message: detail?.message ?? "The store service could not do that.")
        }
        return data
    }
}
