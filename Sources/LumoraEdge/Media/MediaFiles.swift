import Foundation
import HTTPTypes
import Hummingbird
import LumoraCore
import LumoraDatabase
import LumoraRouting
import LumoraMedia
import NIOCore

/// `/media/<hash>-<width>.<ext>` on a store's hosts: the store's own file from the media store
/// (through the memory cache), answered as `MediaAnswer` decides. The store is the host's, so
/// another store's file is not found here even by its exact name.
struct MediaFiles: Sendable {
    let store: any MediaStore
    let cache: MediaCache

    static let pathPrefix = "/media/"

    func respond(to request: Request, store route: StoreRoute) async throws -> Response {
        try await respond(to: request, name: request.uri.path.dropFirst(Self.pathPrefix.count), store: route)
    }

    /// `name` is the file's name from the visitor's URL (`<hash>-<width>.<ext>`), checked here.
    func respond(to request: Request, name: Substring, store route: StoreRoute) async throws -> Response {
        guard request.method == .get || request.method == .head else {
            return Response(status: .methodNotAllowed, headers: [.allow: "GET, HEAD", .contentType: "text/plain; charset=utf-8"],
                            body: .init(byteBuffer: ByteBuffer(string: "media files are read with GET or HEAD\n")))
        }
        guard let file = MediaFile(name: name),
              let bytes = try await bytes(of: MediaKey(store: route.slug, file: file)) else {
            return Response(status: .notFound, headers: [.contentType: "text/plain; charset=utf-8", .cacheControl: "no-store"],
                            body: .init(byteBuffer: ByteBuffer(string: "no such image\n")))
        }
        let answer = MediaAnswer.decide(file: file, length: bytes.readableBytes, ifNoneMatch: request.headers[.ifNoneMatch],
                                        range: request.headers[.range], ifRange: request.headers[.ifRange])
        var headers = HTTPFields()
        for (name, value) in answer.headers { headers.append(HTTPField(name: HTTPField.Name(name)!, value: value)) }
        let body = bytes.getSlice(at: bytes.readerIndex + answer.body.lowerBound, length: answer.body.count) ?? ByteBuffer()
        if answer.status != .notModified { headers[.contentLength] = String(body.readableBytes) }
        if request.method == .head || answer.status == .notModified {
            return Response(status: HTTPResponse.Status(code: answer.status.rawValue), headers: headers)
        }
        return Response(status: HTTPResponse.Status(code: answer.status.rawValue), headers: headers, body: .init(byteBuffer: body))
    }

    /// From memory when it was served lately, else from the media store (then kept).
    func bytes(of key: MediaKey) async throws -> ByteBuffer? {
        if let cached = cache.get(key) { return cached }
        guard let bytes = try await store.get(key) else { return nil }
        cache.put(key, bytes)
        return bytes
    }
}
