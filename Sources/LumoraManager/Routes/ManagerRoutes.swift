import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import LumoraCore
import LumoraDatabase
import LumoraDrivers
import LumoraHTTP
import NIOCore

/// `/v1/…`: the operator API (Bearer operator token).
struct ManagerRoutes: Sendable {
    let stores: StoreService
    let domains: DomainService
    let queue: JobQueue
    let maximumBodySize: Int

    struct PlanRequest: Decodable { let plan: String }
    struct DomainRequest: Decodable { let hostname: String }

    func add(to group: RouterGroup<ManagerRequestContext>) {
        group.post("stores") { request, _ in
            let signup = try await JSONWire.decode(StoreService.Signup.self, from: request, limit: maximumBodySize)
            let created = try await stores.create(signup)
            return try JSONWire.response(CreatedBody(store: created.store, job: created.job, adminToken: created.adminToken), status: .accepted)
        }
        group.get("stores") { _, _ in try JSONWire.response(["stores": try await stores.list()]) }
        group.get("stores/:slug") { _, context in
            try JSONWire.response(["store": try await stores.get(try context.storeSlug())])
        }
        group.delete("stores/:slug") { request, context in
            let purge = request.uri.queryParameters.get("purge") == "true"
            let job = try await stores.delete(try context.storeSlug(), purge: purge)
            return try JSONWire.response(JobBody(job: job), status: .accepted)
        }
        group.post("stores/:slug/plan") { request, context in
            let body = try await JSONWire.decode(PlanRequest.self, from: request, limit: maximumBodySize)
            let (store, job) = try await stores.changePlan(try context.storeSlug(), to: body.plan)
            return try JSONWire.response(PlanBody(store: store, job: job), status: job == nil ? .ok : .accepted)
        }
        group.get("stores/:slug/domains") { _, context in
            let slug = try context.storeSlug()
            _ = try await stores.get(slug)
            return try JSONWire.response(["domains": try await domains.list(slug)])
        }
        group.post("stores/:slug/domains") { request, context in
            let slug = try context.storeSlug()
            _ = try await stores.get(slug)
            let body = try await JSONWire.decode(DomainRequest.self, from: request, limit: maximumBodySize)
            return try JSONWire.response(["domain": try await domains.add(body.hostname, to: slug)], status: .created)
        }
        group.post("stores/:slug/domains/:hostname/verify") { _, context in
            try JSONWire.response(["domain": try await domains.verify(try context.parameters.decoded("hostname"), of: try context.storeSlug())])
        }
        group.delete("stores/:slug/domains/:hostname") { _, context in
            let hostname = try context.parameters.decoded("hostname")
            try await domains.remove(hostname, from: try context.storeSlug())
            return try JSONWire.response(["deleted": hostname])
        }
        group.get("jobs") { request, _ in
            let parameters = request.uri.queryParameters
            var state: JobRecord.State?
            if let raw = parameters.get("state") {
                guard let parsed = JobRecord.State(rawValue: raw) else {
                    throw LumoraError.badRequest("invalid_state", "state must be one of \(JobRecord.State.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                state = parsed
            }
            let limit = try Pagination(query: request.uri, defaultLimit: 50).limit
            return try JSONWire.response(["jobs": try await queue.jobs(state: state, store: parameters.get("store"), limit: limit)])
        }
        group.get("jobs/:id") { _, context in
            try JSONWire.response(["job": try await queue.job(try context.numericID(notFound: "job_not_found", "job"))])
        }
        group.post("jobs/:id/retry") { _, context in
            try JSONWire.response(["job": try await queue.retry(try context.numericID(notFound: "job_not_found", "job"))], status: .accepted)
        }
        // A sweep of deleted media now, not at the next interval (the one queued, if any).
        group.post("media-sweeps") { _, _ in
            try JSONWire.response(["job": try await MediaSweeper.queueSweep(on: queue)], status: .accepted)
        }
    }

    struct CreatedBody: Encodable, Sendable {
        let store: StoreView
        let job: JobRecord
        let adminToken: String
        enum CodingKeys: String, CodingKey { case store, job, adminToken = "admin_token" }
    }

    struct JobBody: Encodable, Sendable { let job: JobRecord }

    struct PlanBody: Encodable, Sendable {
        let store: StoreView
        let job: JobRecord?
    }
}

/// `POST /signup`: the landing page's form, public. Standard plan only; limited per client
/// address; the answer (with the admin token) is never cacheable.
struct SignupRoutes: Sendable {
    let stores: StoreService
    let limiter: SignupLimiter
    let trustedProxies: [IPRange]
    let maximumBodySize: Int

    struct Form: Decodable {
        let slug: String
        let name: String
        let ownerEmail: String
        enum CodingKeys: String, CodingKey { case slug, name, ownerEmail = "owner_email" }
    }

    func add(to router: Router<ManagerRequestContext>) {
        router.post("signup") { request, context in
            // The edge forwards the landing page's form and names the visitor in x-forwarded-for;
            // only a configured proxy is believed, anyone else is counted by their own address.
            let client = VisitorAddress.resolve(peer: context.remoteAddress?.ipAddress,
                                                forwardedFor: request.headers[HTTPField.Name("x-forwarded-for")!],
                                                trustedProxies: trustedProxies) ?? "unknown"
            try limiter.admit(client)
            let form = try await JSONWire.decode(Form.self, from: request, limit: maximumBodySize)
            let created = try await stores.create(.init(slug: form.slug, name: form.name, plan: "standard", ownerEmail: form.ownerEmail))
            var response = try JSONWire.response(ManagerRoutes.CreatedBody(store: created.store, job: created.job, adminToken: created.adminToken),
                                                 status: .accepted)
            response.headers[.cacheControl] = "no-store"
            return response
        }
    }
}
