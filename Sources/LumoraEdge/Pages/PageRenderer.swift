import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import LumoraCore
import LumoraDatabase
import LumoraRouting
import Mustache
import NIOCore

/// Renders the storefront's Mustache templates (package resources). `{{x}}` escapes HTML;
/// the templates never use `{{{x}}}` on store data, and URLs and colours are validated before
/// they reach a template.
struct PageRenderer: Sendable {
    let library: MustacheLibrary
    let version: String

    static func load(version: String) async throws -> PageRenderer {
        guard let folder = Bundle.module.url(forResource: "Templates", withExtension: nil) else {
            throw LumoraError.internalError("the storefront templates are missing from the LumoraEdge bundle")
        }
        return PageRenderer(library: try await MustacheLibrary(directory: folder.path), version: version)
    }

    /// Renders `template` with `view`; an unknown template is an error, never an empty page.
    func render(_ template: String, _ view: Any) throws -> String {
        guard let html = library.render(view, withTemplate: template) else {
            throw LumoraError.internalError("no template named '\(template)'")
        }
        return html
    }

    func html(_ template: String, _ view: Any, status: HTTPResponse.Status = .ok) throws -> Response {
        Self.htmlResponse(try render(template, view), status: status)
    }

    static func htmlResponse(_ html: String, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: "text/html; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: html)))
    }

    /// A full error page in the store's look when the request reached a store, else Lumora's.
    func errorPage(_ status: HTTPResponse.Status, title: String, message: String, context: EdgeRequestContext) throws -> Response {
        let view = ErrorView(title: title, message: message, status: Int(status.code), store: context.store.map(StoreChrome.minimal))
        return try html("error", view, status: status)
    }
}

/// The parts of every store page: name, logo, theme and links.
struct StoreChrome: Sendable {
    let name: String
    let logoURL: String?
    let initial: String
    let description: String

    static func minimal(_ route: StoreRoute) -> StoreChrome {
        StoreChrome(name: route.name, logoURL: nil, initial: String(route.name.prefix(1)).uppercased(), description: "")
    }
}

struct ErrorView {
    let title: String
    let message: String
    let status: Int
    let store: StoreChrome?
}
