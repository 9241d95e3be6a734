import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle

/// A request as the fakes see it: decoded once, so the fake logic is plain synchronous code
/// that runs under each fake's lock.
struct FakeHTTPRequest: Sendable {
    var method: String
    /// Path and query exactly as the client sent them (what `requestLog` records).
    var rawTarget: String
    /// Percent-decoded path segments (an encoded `/` stays inside its segment).
    var segments: [String]
    var query: [String: String]
    var headers: HTTPFields
    var body: Data

    init(method: String, rawTarget: String, headers: HTTPFields, body: Data) {
        self.method = method
        self.rawTarget = rawTarget
        self.headers = headers
        self.body = body
        let parts = rawTarget.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        let path = parts.first.map(String.init) ?? "/"
        segments = path.split(separator: "/").map { String($0).removingPercentEncoding ?? String($0) }
        query = parts.count > 1 ? Self.formDecode(String(parts[1])) : [:]
    }

    func header(_ name: String) -> String? {
        HTTPField.Name(name).flatMap { headers[$0] }
    }

    /// The bearer token of `Authorization`, if that is what the header holds.
    var bearerToken: String? {
        guard let value = header("Authorization") else { return nil }
        let parts = value.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { return nil }
        return String(parts[1]).trimmingCharacters(in: .whitespaces)
    }

    var json: FakeJSON? { FakeJSON.decode(body) }

    /// `application/x-www-form-urlencoded` (also used for query strings): `+` is a space.
    static func formDecode(_ string: String) -> [String: String] {
        var result: [String: String] = [:]
        for pair in string.split(separator: "&") {
            let kv = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ s: Substring) -> String {
                let spaced = s.replacingOccurrences(of: "+", with: " ")
                return spaced.removingPercentEncoding ?? spaced
            }
            guard let key = kv.first else { continue }
            result[decode(key)] = kv.count > 1 ? decode(kv[1]) : ""
        }
        return result
    }
}

struct FakeHTTPResponse: Sendable {
    var status: Int
    var headers: [(String, String)] = []
    var body: Data = Data()

    static func json(_ status: Int, _ value: FakeJSON, headers: [(String, String)] = []) -> FakeHTTPResponse {
        FakeHTTPResponse(status: status, headers: [("Content-Type", "application/json; charset=utf-8")] + headers, body: value.encoded())
    }

    static func text(_ status: Int, _ text: String, contentType: String = "text/plain; charset=utf-8") -> FakeHTTPResponse {
        FakeHTTPResponse(status: status, headers: [("Content-Type", contentType)], body: Data(text.utf8))
    }
}

/// One Hummingbird server on `127.0.0.1` and a port the kernel picked, running until
/// `shutdown()` (or until the owner is released): every fake is one of these plus its state.
final class LoopbackServer: Sendable {
    let port: Int
    private let group: ServiceGroup
    private let task: Task<Void, any Error>

    var baseURL: String { "http://127.0.0.1:\(port)" }

    private init(port: Int, group: ServiceGroup, task: Task<Void, any Error>) {
        self.port = port
        self.group = group
        self.task = task
    }

    /// A fake that a test forgot to shut down stops with it (gracefully, in the background).
    deinit {
        let group = self.group
        Task { await group.triggerGracefulShutdown() }
    }

    enum StartError: Error, CustomStringConvertible {
        case didNotStart
        var description: String { "the loopback server stopped before it was listening" }
    }

    static func start(name: String, handler: @escaping @Sendable (FakeHTTPRequest) async -> FakeHTTPResponse) async throws -> LoopbackServer {
        var logger = Logger(label: name)
        logger.logLevel = ProcessInfo.processInfo.environment["LUMORA_FAKES_LOG"].flatMap(Logger.Level.init(rawValue:)) ?? .warning
        // The port is only known once the socket is bound: onServerRunning hands it over.
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        let app = Application(
            responder: LoopbackResponder(handler: handler),
            configuration: .init(address: .hostname("127.0.0.1", port: 0), serverName: name),
            onServerRunning: { channel in
                continuation.yield(channel.localAddress?.port ?? 0)
                continuation.finish()
            },
            logger: logger)
        // Our own service group (no signal handling: tests share the process) so that
        // shutdown can be graceful. Cancelling instead races with connections the server
        // has accepted but not yet handed over, and NIO traps on those.
        let group = ServiceGroup(configuration: .init(services: [app], gracefulShutdownSignals: [], logger: logger))
        let task = Task {
            defer { continuation.finish() }
            try await group.run()
        }
        for await port in ports where port > 0 {
            return LoopbackServer(port: port, group: group, task: task)
        }
        // The stream ended without a port: surface the server's own error if it has one.
        try await task.value
        throw StartError.didNotStart
    }

    /// Stops accepting, lets requests in flight finish, closes idle connections, and waits
    /// until the server is gone. Safe to call twice.
    func shutdown() async {
        await group.triggerGracefulShutdown()
        // A client holding a request open must not hang a test: after a few seconds the
        // server is cancelled (a safety net, not synchronisation).
        let task = self.task
        await withTaskGroup(of: Void.self) { waiters in
            waiters.addTask { _ = try? await task.value }
            waiters.addTask {
                try? await Task.sleep(for: .seconds(5))
                task.cancel()
            }
            await waiters.next()
            waiters.cancelAll()
        }
    }
}

private struct LoopbackResponder: HTTPResponder {
    typealias Context = BasicRequestContext
    let handler: @Sendable (FakeHTTPRequest) async -> FakeHTTPResponse

    func respond(to request: Request, context: BasicRequestContext) async throws -> Response {
        let buffer = try await request.body.collect(upTo: 8 << 20)
        let fake = FakeHTTPRequest(
            method: request.method.rawValue, rawTarget: request.head.path ?? "/", headers: request.headers,
            body: Data(buffer: buffer))
        let answer = await handler(fake)
        var headers = HTTPFields()
        for (name, value) in answer.headers {
            if let field = HTTPField.Name(name) { headers.append(HTTPField(name: field, value: value)) }
        }
        return Response(
            status: HTTPResponse.Status(code: answer.status, reasonPhrase: Self.reason(answer.status)), headers: headers,
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: answer.body)))
    }

    static func reason(_ code: Int) -> String {
        switch code {
        case 200: "OK"
        case 400: "Bad Request"
        case 401: "Unauthorized"
        case 403: "Forbidden"
        case 404: "Not Found"
        case 409: "Conflict"
        case 429: "Too Many Requests"
        case 500: "Internal Server Error"
        case 503: "Service Unavailable"
        case 504: "Gateway Timeout"
        default: ""
        }
    }
}
