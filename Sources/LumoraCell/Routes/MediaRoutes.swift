import Hummingbird
import LumoraCore
import LumoraHTTP
import LumoraWire
import NIOCore

/// `/admin/media`: upload (a `multipart/form-data` form whose file field is `file`, or the
/// image itself as the body), list with the store's quota, read, delete.
struct MediaRoutes: Sendable {
    let media: MediaRepository
    let limits: BodyLimits

    func add(to group: RouterGroup<CellRequestContext>) {
        group.post("media", use: upload)
        group.get("media", use: library)
        group.get("media/:id", use: read)
        group.delete("media/:id", use: delete)
    }

    @Sendable func upload(_ request: Request, context: CellRequestContext) async throws -> Response {
        let store = try context.requireStore()
        let body: ByteBuffer
        do {
            body = try await request.body.collect(upTo: limits.upload)
        } catch is NIOTooManyBytesError {
            throw limits.tooLarge(path: BodyLimits.uploadPath)
        }
        let (uploaded, created) = try await media.upload(store, try Self.image(in: body, contentType: request.headers[.contentType]))
        return try JSONWire.response(Single(key: "media", value: uploaded), status: created ? .created : .ok)
    }

    @Sendable func library(_ request: Request, context: CellRequestContext) async throws -> Response {
        let store = try context.requireStore()
        return try JSONWire.response(try await media.library(store, page: try Pagination(query: request.uri)))
    }

    @Sendable func read(_ request: Request, context: CellRequestContext) async throws -> Response {
        let store = try context.requireStore()
        return try JSONWire.response(Single(key: "media", value: try await media.media(store.slug, id: try mediaID(context))))
    }

    @Sendable func delete(_ request: Request, context: CellRequestContext) async throws -> Response {
        let store = try context.requireStore()
        let id = try mediaID(context)
        try await media.delete(store.slug, id: id)
        return try JSONWire.response(Deleted(id: ResourceID.media.format(id), object: "media"))
    }

    /// The image's bytes: a form's `file` part, or the whole body. Its declared type is not
    /// trusted either way; the processor reads what the bytes are.
    static func image(in body: ByteBuffer, contentType: String?) throws(LumoraError) -> ByteBuffer {
        guard let contentType, let boundary = MultipartForm.boundary(ofContentType: contentType) else {
            guard body.readableBytes > 0 else { throw LumoraError.badRequest("missing_image", "send the image as the body, or as the field 'file' of a multipart form") }
            return body
        }
        let form = try MultipartForm(body, boundary: boundary)
        guard let file = form.first(named: "file"), file.body.readableBytes > 0 else {
            throw LumoraError.badRequest("missing_image", "the form has no field 'file' with an image in it")
        }
        return file.body
    }

    private func mediaID(_ context: CellRequestContext) throws -> Int64 {
        try ResourceID.media.parse(try context.parameters.decoded("id"))
    }
}
