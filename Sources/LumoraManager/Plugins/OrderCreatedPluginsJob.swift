import Foundation
import Logging
import LumoraCore
import LumoraDatabase
import LumoraHTTP
import LumoraPlugins
import LumoraWire
import NIOCore
import PostgresNIO

/// Runs a store's `order.created` plugins for one order: queued by the cell in the order's own
/// transaction, so it exists exactly when the order does, and run here, after the checkout has
/// answered — a notification never slows or fails a checkout. Each plugin is run once (a step
/// per plugin, so a retry after a crash does not run it twice) under the limits of the store's
/// plan; what it logs goes to the manager's log, a failure is logged and counted as a step,
/// never retried (the same input would fail the same way).
struct OrderCreatedPluginsJob: JobHandler {
    let platform: Platform

    func run(_ job: JobRecord, steps: JobSteps) async throws {
        guard let raw = job.storeSlug, let slug = try? StoreSlug(validating: raw) else {
            throw PermanentJobFailure("an order.created job without a store")
        }
        guard var input = try? JSONWire.decoder.decode(PluginOrderInput.self, from: Data(job.payloadJSON.utf8)) else {
            throw PermanentJobFailure("an order.created job whose payload is not an order")
        }
        let store = try await platform.directory.get(slug)
        let rows = try await platform.client.query(PluginSQL.modules(store: slug, point: .orderCreated), logger: platform.logger)
            .collect((String, Int, Int, String, ByteBuffer, Bool).self)
        for (name, version, apiVersion, _, module, runsOnShared) in rows {
            let metadata: Logger.Metadata = ["store": "\(slug)", "plugin": "\(name)", "version": "\(version)", "order": "\(input.order.id)"]
            // The plan's limits; a standard store's plugin only where the operator allowed it.
            guard store.plan.hasDedicatedCell || runsOnShared else { continue }
            guard ExtensionPoint.orderCreated.supportedVersions.contains(apiVersion) else { continue }
            try await steps.step("\(name) v\(version)") {
                let sandbox = PluginSandbox(limits: store.plan.hasDedicatedCell ? .dedicated : .shared)
                input.apiVersion = apiVersion
                let outcome: String
                do {
                    let compiled = try sandbox.compile(Array(buffer: module))
                    switch sandbox.run(compiled, input: Array(try JSONWire.encoder.encode(input))) {
                    case .success(let answer):
                        for line in answer.logLines { platform.logger.info("plugin: \(line)", metadata: metadata) }
                        outcome = "ok"
                    case .failure(let failure):
                        outcome = failure.code
                        platform.logger.warning("order.created plugin failed", metadata: metadata.merging(["code": "\(failure.code)", "error": "\(failure.message)"]) { $1 })
                    }
                } catch let rejection as PluginRejection {
                    outcome = rejection.code
                    platform.logger.error("order.created plugin does not compile", metadata: metadata.merging(["error": "\(rejection.message)"]) { $1 })
                }
                platform.logger.info("order.created plugin ran", metadata: metadata.merging(["outcome": "\(outcome)"]) { $1 })
            }
        }
    }
}
