import AsyncHTTPClient
import Foundation
import NIOCore

/// Plain HTTP against the fakes (no Lumora client code involved), so these tests check the
/// fakes themselves against the contracts.
enum FakeWire {
    static func send(
        _ method: String, _ url: String, bearer: String? = nil, json: String? = nil, form: String? = nil,
        headers extra: [(String, String)] = []
    ) async throws -> FakeWireReply {
        var request = HTTPClientRequest(url: url)
        request.method = .init(rawValue: method)
        if let bearer { request.headers.add(name: "Authorization", value: "Bearer \(bearer)") }
        if let json {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: json))
        }
        if let form {
            request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
            request.body = .bytes(ByteBuffer(string: form))
        }
        for (name, value) in extra { request.headers.add(name: name, value: value) }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
        let body = try await response.body.collect(upTo: 4 << 20)
        return FakeWireReply(status: Int(response.status.code), headers: response.headers.map { ($0.name, $0.value) }, body: Data(buffer: body))
    }
}

struct FakeWireReply: Sendable, CustomStringConvertible {
    let status: Int
    let headers: [(String, String)]
    let body: Data

    var text: String { String(decoding: body, as: UTF8.self) }
    var json: FakeWireJSON { FakeWireJSON((try? JSONSerialization.jsonObject(with: body, options: [.fragmentsAllowed])) ?? NSNull()) }
    func header(_ name: String) -> String? { headers.first { $0.0.lowercased() == name.lowercased() }?.1 }
    var description: String { "\(status) \(text)" }
}

/// Just enough JSON for assertions: `reply.json["error"]["code"].int`.
struct FakeWireJSON: CustomStringConvertible {
    let raw: Any

    init(_ raw: Any) { self.raw = raw }

    subscript(key: String) -> FakeWireJSON { FakeWireJSON((raw as? [String: Any])?[key] ?? NSNull()) }
    subscript(index: Int) -> FakeWireJSON {
        let array = raw as? [Any] ?? []
        return FakeWireJSON(index < array.count ? array[index] : NSNull())
    }

    var string: String? { raw as? String }
    var int: Int? { raw as? Int }
    var bool: Bool? { raw as? Bool }
    var array: [FakeWireJSON] { (raw as? [Any] ?? []).map(FakeWireJSON.init) }
    var keys: Set<String> { Set((raw as? [String: Any])?.keys.map { $0 } ?? []) }
    var exists: Bool { !(raw is NSNull) }
    var isString: Bool { raw is String }
    var description: String { "\(raw)" }
}
