import ArgumentParser
import Foundation

/// `lumora plugins …`: a store's private plugins (docs/PLUGINS.md), through the manager.
struct PluginsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plugins", abstract: "Install, list, enable, disable and remove a store's WebAssembly plugins.",
        subcommands: [Install.self, List.self, Enable.self, Disable.self, Remove.self])

    struct Install: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Validate and install a .wasm module at an extension point (again under the same name: a new version).")
        @OptionGroup var manager: ManagerConnection
        @Argument(help: "The store's slug.") var store: String
        @Argument(help: "The module: a .wasm file exporting memory, alloc and run.") var file: String
        @Option(help: "cart.discounts, checkout.validate, shipping.rates or order.created.") var point: String
        @Option(help: "The plugin's name in the store (default: the file's name).") var name: String?
        @Option(name: .customLong("api-version"), help: "The input schema it was built for (default: the point's current one).") var apiVersion: Int?
        @Option(name: .customLong("on-failure"), help: "skip (default), or block: a checkout.validate plugin that fails refuses checkout.")
        var onFailure: String?
        @Flag(name: .customLong("allow-shared-cell"), help: "Let it run on a shared cell, under a shared cell's tighter limits (standard-plan stores need this).")
        var allowSharedCell = false

        func run() async throws {
            let module: [UInt8]
            do {
                module = [UInt8](try Data(contentsOf: URL(fileURLWithPath: file)))
            } catch {
                throw OperatorError("cannot read \(file): \(error.localizedDescription)")
            }
            let pluginName = name ?? URL(fileURLWithPath: file).deletingPathExtension().lastPathComponent
            var query = [URLQueryItem(name: "point", value: point), URLQueryItem(name: "name", value: pluginName)]
            if let apiVersion { query.append(URLQueryItem(name: "api_version", value: String(apiVersion))) }
            if let onFailure { query.append(URLQueryItem(name: "on_failure", value: onFailure)) }
            if allowSharedCell { query.append(URLQueryItem(name: "allow_shared_cell", value: "true")) }
            let reply = try await manager.call(.POST, PluginsCommand.path(store, query: query), bytes: module, contentType: "application/wasm")
            guard !manager.json, let plugin = reply["plugin"] as? [String: Any] else { return }
            print("Installed \(plugin["name"] ?? pluginName) v\(plugin["version"] ?? "?") at \(plugin["point"] ?? point) for \(store) "
                  + "(\(plugin["bytes"] ?? module.count) bytes, sha256 \(String((plugin["sha256"] as? String ?? "").prefix(12)))…).")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List a store's plugins.")
        @OptionGroup var manager: ManagerConnection
        @Argument var store: String

        func run() async throws {
            let plugins = try await manager.call(.GET, PluginsCommand.path(store))["plugins"] as? [[String: Any]] ?? []
            guard !manager.json else { return }
            guard !plugins.isEmpty else { return print("\(store) has no plugins.") }
            print(table([["NAME", "POINT", "VERSION", "API", "ENABLED", "ON FAILURE", "SHARED CELLS", "SHA256"]] + plugins.map {
                [$0["name"] as? String ?? "", $0["point"] as? String ?? "", "\($0["version"] ?? "")", "\($0["api_version"] ?? "")",
                 ($0["enabled"] as? Bool ?? false) ? "yes" : "no", $0["on_failure"] as? String ?? "",
                 ($0["runs_on_shared_cells"] as? Bool ?? false) ? "yes" : "no", String(($0["sha256"] as? String ?? "").prefix(12))]
            }))
        }
    }

    struct Enable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Run a disabled plugin again.")
        @OptionGroup var manager: ManagerConnection
        @Argument var store: String
        @Argument var name: String

        func run() async throws { try await PluginsCommand.set(enabled: true, store, name, manager) }
    }

    struct Disable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Stop running a plugin (it stays installed).")
        @OptionGroup var manager: ManagerConnection
        @Argument var store: String
        @Argument var name: String

        func run() async throws { try await PluginsCommand.set(enabled: false, store, name, manager) }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Uninstall a plugin.")
        @OptionGroup var manager: ManagerConnection
        @Argument var store: String
        @Argument var name: String

        func run() async throws {
            _ = try await manager.call(.DELETE, PluginsCommand.path(store, name))
            if !manager.json { print("Removed \(name) from \(store).") }
        }
    }

    static func set(enabled: Bool, _ store: String, _ name: String, _ manager: ManagerConnection) async throws {
        _ = try await manager.call(.POST, path(store, name, enabled ? "enable" : "disable"))
        if !manager.json { print("\(enabled ? "Enabled" : "Disabled") \(name) for \(store).") }
    }

    /// `/v1/stores/<store>/plugins[/<segment>…][?query]`, each part percent-encoded.
    static func path(_ store: String, _ segments: String..., query: [URLQueryItem] = []) -> String {
        var components = URLComponents()
        let allowed = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "-._~"))
        components.percentEncodedPath = "/" + (["v1", "stores", store, "plugins"] + segments)
            .map { $0.addingPercentEncoding(withAllowedCharacters: allowed) ?? "" }.joined(separator: "/")
        if !query.isEmpty { components.queryItems = query }
        return components.string ?? components.percentEncodedPath
    }
}
