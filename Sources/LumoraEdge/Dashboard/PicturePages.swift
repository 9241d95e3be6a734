import Foundation
import HTTPTypes
import Hummingbird
import LumoraCore
import LumoraHTTP
import LumoraMedia
import LumoraWire
import NIOCore
import NIOHTTP1

/// Pictures in the dashboard: a product's (upload, make main, remove) and the logo (upload,
/// remove). Uploads are `multipart/form-data` forms, sent on to the cell's `POST /admin/media`
/// as the image's bytes; the dashboard shows the store's files at `/stores/<slug>/media/…` (its
/// own origin, for members only), since the store's hosts may be on other schemes and ports.
extension StorePages {
    func addPictures(to group: RouterGroup<EdgeRequestContext>) {
        group.get("stores/:slug/media/:file", use: mediaFile)
        group.post("stores/:slug/products/:id/pictures", use: addPicture)
        group.post("stores/:slug/products/:id/pictures/:media/remove", use: removePicture)
        group.post("stores/:slug/products/:id/pictures/:media/first", use: makeMainPicture)
        group.post("stores/:slug/settings/logo", use: uploadLogo)
        group.post("stores/:slug/settings/logo/remove", use: removeLogo)
    }

    @Sendable func mediaFile(_ request: Request, context: EdgeRequestContext) async throws -> Response {
        let visit = dashboard.visit(request, context)
        guard let member = try await dashboard.member(visit, may: .catalog) else { return dashboard.redirectToLogin(visit) }
        return try await dashboard.media.respond(to: request, name: Substring(try context.parameters.require("file")), store: member.route)
    }

    @Sendable func addPicture(_ request: Request, context: EdgeRequestContext) async throws -> Response {
        let visit = dashboard.visit(request, context)
        guard let member = try await dashboard.member(visit, may: .catalog) else { return dashboard.redirectToLogin(visit) }
        let form = try await dashboard.uploadForm(visit)
        try dashboard.requireWritable(member)
        let product = try await loadProduct(member, visit, context)
        do {
            let media = try await upload(try Self.file(in: form), member, visit)
            let alt = form.text("alt").map { String($0.prefix(500)).trimmingASCIIWhitespace() } ?? ""
            let pictures = Self.attachments(product) + [MediaAttachment(id: media.id, alt: alt.isEmpty ? nil : alt)]
            _ = try await admin(Single<ProductWire>.self, .POST, Self.adminPath("products", product.id), member, visit,
                                body: UpdateProductRequest(media: pictures))
            return Dashboard.redirect(path(member, "products", product.id).query("done", "saved").text)
        } catch let error as LumoraError where error.isFormRefusal {
            return try await productForm(member, visit: visit, product: product, draft: ProductDraft(product: product), errors: ["pictures": error.message],
                                         status: .unprocessableContent)
        }
    }

    @Sendable func removePicture(_ request: Request, context: EdgeRequestContext) async throws -> Response {
        try await changePictures(request, context) { pictures, chosen in pictures.filter { $0.id != chosen } }
    }

    @Sendable func makeMainPicture(_ request: Request, context: EdgeRequestContext) async throws -> Response {
        try await changePictures(request, context) { pictures, chosen in
            pictures.filter { $0.id == chosen } + pictures.filter { $0.id != chosen }
        }
    }

    @Sendable func uploadLogo(_ request: Request, context: EdgeRequestContext) async throws -> Response {
        let visit = dashboard.visit(request, context)
        guard let member = try await dashboard.member(visit, may: .settings) else { return dashboard.redirectToLogin(visit) }
        let form = try await dashboard.uploadForm(visit)
        try dashboard.requireWritable(member)
        do {
            let media = try await upload(try Self.file(in: form), member, visit)
            _ = try await admin(Single<SettingsWire>.self, .PUT, Self.adminPath("settings"), member, visit,
                                body: UpdateSettingsRequest(logoMedia: .value(media.id)))
            return Dashboard.redirect(path(member, "settings").query("done", "saved").text)
        } catch let error as LumoraError where error.isFormRefusal {
            return try await settingsPage(member, visit: visit, values: nil, errors: ["logo": error.message], saved: false, status: .unprocessableContent)
        }
    }

    @Sendable func removeLogo(_ request: Request, context: EdgeRequestContext) async throws -> Response {
        let visit = dashboard.visit(request, context)
        guard let member = try await dashboard.member(visit, may: .settings) else { return dashboard.redirectToLogin(visit) }
        _ = try await dashboard.form(visit)
        try dashboard.requireWritable(member)
        _ = try await admin(Single<SettingsWire>.self, .PUT, Self.adminPath("settings"), member, visit, body: UpdateSettingsRequest(logoMedia: .null))
        return Dashboard.redirect(path(member, "settings").query("done", "saved").text)
    }

    // MARK: Helpers

    /// The product's pictures become `change(pictures, the one the URL names)`.
    private func changePictures(_ request: Request, _ context: EdgeRequestContext,
                                _ change: @escaping ([MediaAttachment], String) -> [MediaAttachment]) async throws -> Response {
        let visit = dashboard.visit(request, context)
        guard let member = try await dashboard.member(visit, may: .catalog) else { return dashboard.redirectToLogin(visit) }
        _ = try await dashboard.form(visit)
        try dashboard.requireWritable(member)
        let product = try await loadProduct(member, visit, context)
        let chosen = try context.parameters.require("media")
        _ = try await admin(Single<ProductWire>.self, .POST, Self.adminPath("products", product.id), member, visit,
                            body: UpdateProductRequest(media: change(Self.attachments(product), chosen)))
        return Dashboard.redirect(path(member, "products", product.id).query("done", "saved").text)
    }

    /// The image's bytes go to the cell as they are; its declared type is not passed on (the
    /// cell reads the format from the bytes).
    private func upload(_ file: ByteBuffer, _ member: Dashboard.Member, _ visit: Dashboard.Visit) async throws -> MediaWire {
        let reply = try await dashboard.cells.send(.POST, Self.adminPath("media"), store: member.route, visitor: visit.context.visitor, actor: member.actor,
                                                   body: file, headers: [("content-type", "application/octet-stream")], fresh: true,
                                                   timeout: CellDeadlines.upload)
        guard (200..<300).contains(Int(reply.status.code)) else { throw CellClient.error(from: reply) }
        guard let media = try? JSONWire.decoder.decode(Single<MediaWire>.self, from: Data(buffer: reply.body)).value else {
            throw LumoraError(.badGateway, code: "bad_cell_response", message: "the store's service sent something unexpected")
        }
        return media
    }

    static func file(in form: MultipartForm) throws(LumoraError) -> ByteBuffer {
        guard let file = form.first(named: "file"), file.body.readableBytes > 0 else {
            throw LumoraError.badRequest("missing_image", "Choose an image file to upload.")
        }
        return file.body
    }

    static func attachments(_ product: ProductWire) -> [MediaAttachment] {
        product.media.map { MediaAttachment(id: $0.media.id, alt: $0.alt) }
    }
}

extension Dashboard {
    /// A `multipart/form-data` form (a file upload) whose CSRF token is right.
    func uploadForm(_ visit: Visit) async throws -> MultipartForm {
        guard let contentType = visit.request.headers[.contentType], let boundary = MultipartForm.boundary(ofContentType: contentType) else {
            throw LumoraError.badRequest("invalid_form", "The form must be sent as multipart/form-data.")
        }
        let body: ByteBuffer
        do {
            body = try await visit.request.body.collect(upTo: uploadLimits.upload)
        } catch is NIOTooManyBytesError {
            throw uploadLimits.tooLarge(path: BodyLimits.uploadPath)
        }
        let form = try MultipartForm(body, boundary: boundary)
        try csrf.verify(form.text("csrf"), host: visit.context.host, session: visit.browser)
        return form
    }
}
