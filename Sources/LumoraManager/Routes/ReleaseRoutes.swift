import Foundation
import Hummingbird
import LumoraCore
import LumoraDrivers
import LumoraHTTP

/// `/v1/releases…` and store pinning: the operator's handle on platform releases.
struct ReleaseRoutes: Sendable {
    let releases: ReleaseService
    let maximumBodySize: Int

    struct PinRequest: Decodable { let version: String }

    struct PinBody: Encodable, Sendable {
        let store: String
        let pinnedVersion: String?
        let job: JobRecord?
        enum CodingKeys: String, CodingKey { case store, pinnedVersion = "pinned_version", job }
    }

    func add(to group: RouterGroup<ManagerRequestContext>) {
        group.post("releases") { request, _ in
            let body = try await JSONWire.decode(ReleaseRequest.self, from: request, limit: maximumBodySize)
            return try JSONWire.response(["release": try await releases.create(body)], status: .accepted)
        }
        group.get("releases") { request, _ in
            let limit = try Pagination(query: request.uri, defaultLimit: 50).limit
            return try JSONWire.response(["releases": try await releases.list(limit: limit)])
        }
        group.get("releases/:id") { _, context in
            try JSONWire.response(try await releases.status(try context.numericID(notFound: "release_not_found", "release")))
        }
        group.post("releases/:id/pause") { _, context in
            try JSONWire.response(["release": try await releases.pause(try context.numericID(notFound: "release_not_found", "release"))])
        }
        group.post("releases/:id/resume") { _, context in
            try JSONWire.response(["release": try await releases.resume(try context.numericID(notFound: "release_not_found", "release"))], status: .accepted)
        }
        group.post("releases/:id/abort") { _, context in
            try JSONWire.response(["release": try await releases.abort(try context.numericID(notFound: "release_not_found", "release"))])
        }
        group.put("stores/:slug/pin") { request, context in
            let slug = try context.storeSlug()
            let body = try await JSONWire.decode(PinRequest.self, from: request, limit: maximumBodySize)
            let pinned = try await releases.pin(slug, to: body.version)
            return try JSONWire.response(PinBody(store: slug.rawValue, pinnedVersion: pinned.version.name, job: pinned.job),
                                         status: pinned.job == nil ? .ok : .accepted)
        }
        group.delete("stores/:slug/pin") { _, context in
            let slug = try context.storeSlug()
            try await releases.unpin(slug)
            return try JSONWire.response(PinBody(store: slug.rawValue, pinnedVersion: nil, job: nil))
        }
    }
}
