import Hummingbird
import LumoraCore
import LumoraHTTP
import LumoraPlugins
import NIOCore

/// `/v1/stores/:slug/plugins…`: the operator installs, lists, enables, disables and removes a
/// store's plugins. An install's body is the module itself (`application/wasm`); what it is
/// for comes in the query: `point`, `name`, and optionally `api_version`, `on_failure`
/// (`skip`, or `block` for a validator) and `allow_shared_cell=true`.
struct PluginRoutes: Sendable {
    let plugins: PluginService

    func add(to group: RouterGroup<ManagerRequestContext>) {
        group.post("stores/:slug/plugins") { request, context in
            let slug = try context.storeSlug()
            let query = request.uri.queryParameters
            guard let point = query.get("point"), let name = query.get("name") else {
                throw LumoraError.badRequest("invalid_plugin", "say where the plugin runs and what it is called: ?point=cart.discounts&name=…")
            }
            var apiVersion: Int?
            if let raw = query.get("api_version") {
                guard let parsed = Int(raw) else { throw LumoraError.badRequest("invalid_api_version", "api_version is a whole number") }
                apiVersion = parsed
            }
            let allowShared: Bool
            switch query.get("allow_shared_cell") {
            case nil, "false": allowShared = false
            case "true": allowShared = true
            default: throw LumoraError.badRequest("invalid_allow_shared_cell", "allow_shared_cell is true or false")
            }
            let body: ByteBuffer
            do {
                body = try await request.body.collect(upTo: PluginLimits.maximumModuleBytes)
            } catch is NIOTooManyBytesError {
                throw LumoraError(.payloadTooLarge, code: "plugin_too_large", message: "a plugin module may be at most \(PluginLimits.maximumModuleBytes) bytes")
            }
            let installed = try await plugins.install(slug, module: Array(buffer: body), .init(
                name: name, point: point, apiVersion: apiVersion, onFailure: query.get("on_failure"), allowSharedCell: allowShared))
            return try JSONWire.response(["plugin": installed.plugin], status: installed.created ? .created : .ok)
        }
        group.get("stores/:slug/plugins") { _, context in
            try JSONWire.response(["plugins": try await plugins.list(try context.storeSlug())])
        }
        group.get("stores/:slug/plugins/:name") { _, context in
            try JSONWire.response(["plugin": try await plugins.get(try context.storeSlug(), name: try context.parameters.decoded("name"))])
        }
        group.post("stores/:slug/plugins/:name/enable") { _, context in
            try JSONWire.response(["plugin": try await plugins.setEnabled(try context.storeSlug(), name: try context.parameters.decoded("name"), true)])
        }
        group.post("stores/:slug/plugins/:name/disable") { _, context in
            try JSONWire.response(["plugin": try await plugins.setEnabled(try context.storeSlug(), name: try context.parameters.decoded("name"), false)])
        }
        group.delete("stores/:slug/plugins/:name") { _, context in
            let name = try context.parameters.decoded("name")
            try await plugins.remove(try context.storeSlug(), name: name)
            return try JSONWire.response(["deleted": name])
        }
    }
}
