import AsyncHTTPClient
import Foundation
import LumoraTestSupport
import NIOCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

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
        let response = try await HTTPClient.shared.execute(request, timeout: patientRequestDeadline)
        let body = try await response.body.collect(upTo: 4 << 20)
        return FakeWireReply(status: Int(response.status.code), headers: response.headers.map { ($0.name, $0.value) }, body: Data(buffer: body))
    }
}

extension FakeWire {
    /// Whether something accepts TCP connections on `127.0.0.1:port` (answers at once).
    static func acceptsConnections(port: Int) -> Bool {
        #if canImport(Glibc)
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
        let descriptor = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(truncatingIfNeeded: port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let result = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        return result == 0
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
