import AsyncHTTPClient
import Foundation
import LumoraCore
import NIOCore
import NIOHTTP1

/// One HTTP answer, read whole (provider answers are small JSON documents).
struct HTTPReply: Sendable {
    let status: Int
    let headers: HTTPHeaders
    let body: Data

    var isSuccess: Bool { (200..<300).contains(status) }

    func decode<T: Decodable>(_ type: T.Type) throws -> T {
        do {
            return try JSONDecoder().decode(type, from: body)
        } catch {
            let text = String(decoding: body.prefix(300), as: UTF8.self)
            throw LumoraError(.badGateway, code: "provider_bad_response",
                              message: "unexpected answer (\(status)) where \(type) was expected: \(text)")
        }
    }
}

/// The drivers' one way to call an HTTP API.
struct DriverHTTP: Sendable {
    let client: HTTPClient
    let timeout: Duration

    init(client: HTTPClient = .shared, timeout: Duration = .seconds(30)) {
        self.client = client
        self.timeout = timeout
    }

    func send(_ method: HTTPMethod, _ url: String, headers: HTTPHeaders = [:], body: Data? = nil) async throws -> HTTPReply {
        var request = HTTPClientRequest(url: url)
        request.method = method
        request.headers = headers
        if let body {
            request.body = .bytes(ByteBuffer(bytes: body))
            request.headers.replaceOrAdd(name: "content-length", value: String(body.count))
        }
        let seconds = Int64(timeout.components.seconds) + (timeout.components.attoseconds > 0 ? 1 : 0)
        let response = try await client.execute(request, timeout: .seconds(max(seconds, 1)))
        let buffer = try await response.body.collect(upTo: 8 << 20)
        return HTTPReply(status: Int(response.status.code), headers: response.headers, body: Data(buffer.readableBytesView))
    }
}

/// Percent-encoding for one path segment or query value.
enum URLEncoding {
    static let unreserved = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")

    static func component(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: unreserved) ?? text
    }

    static func form(_ fields: [(String, String)]) -> String {
        fields.map { "\(component($0.0))=\(component($0.1))" }.joined(separator: "&")
    }

    /// `base` without a trailing slash, so paths join cleanly.
    static func trimmed(_ base: String) -> String {
        var base = base
        while base.hasSuffix("/") { base.removeLast() }
        return base
    }
}
