import Foundation
import LumoraTestSupport
import NIOHTTP1
import Testing

/// `lumora plugins …` against a running `lumora manager` process, as an operator types it.
@Suite struct PluginCommandTests {
    @Test func theOperatorInstallsListsDisablesAndRemovesAPlugin() async throws {
        try await PlatformProcesses.with { platform in
            _ = try await platform.json(.POST, "/v1/stores", #"{"slug":"corner","name":"Corner","plan":"standard","owner_email":"o@corner.test"}"#,
                                        expect: .accepted)
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("lumora-plugin-cli-\(UUID().uuidString.prefix(8))")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: folder) }
            let module = folder.appendingPathComponent("ten-percent.wasm")
            try Data(try ExamplePlugins.wasm(ExamplePlugins.tenPercentOver100)).write(to: module)
            let garbage = folder.appendingPathComponent("page.wasm")
            try Data("<html>".utf8).write(to: garbage)
            let connection = ["--manager-url", platform.managerURL, "--token", PlatformProcesses.operatorToken]
            let plugins = { (arguments: [String]) in try await LumoraBinary.run(["plugins"] + arguments + connection) }

            // A standard store needs the operator's leave; the refusal says so.
            let refused = try await plugins(["install", "corner", module.path, "--point", "cart.discounts"])
            #expect(refused.status != 0 && refused.output.contains("plugins_need_dedicated_cell"), "\(refused.output)")
            let installed = try await plugins(["install", "corner", module.path, "--point", "cart.discounts", "--allow-shared-cell"])
            #expect(installed.status == 0, "\(installed.output)")
            #expect(installed.output.contains("Installed ten-percent v1 at cart.discounts for corner"), "\(installed.output)")
            let notAPlugin = try await plugins(["install", "corner", garbage.path, "--point", "cart.discounts", "--allow-shared-cell"])
            #expect(notAPlugin.status != 0 && notAPlugin.output.contains("plugin_not_webassembly"), "\(notAPlugin.output)")
            let missing = try await plugins(["install", "corner", folder.appendingPathComponent("nothing.wasm").path, "--point", "cart.discounts"])
            #expect(missing.status != 0 && missing.output.contains("cannot read"), "\(missing.output)")

            let listed = try await plugins(["list", "corner"])
            #expect(listed.status == 0 && listed.output.contains("ten-percent") && listed.output.contains("cart.discounts"), "\(listed.output)")
            #expect(try await plugins(["disable", "corner", "ten-percent"]).output.contains("Disabled ten-percent for corner"))
            #expect(try await plugins(["list", "corner"]).output.contains("no"))
            #expect(try await plugins(["remove", "corner", "ten-percent"]).status == 0)
            #expect(try await plugins(["list", "corner"]).output.contains("corner has no plugins."))
            let unknown = try await plugins(["disable", "corner", "ten-percent"])
            #expect(unknown.status != 0 && unknown.output.contains("plugin_not_found"), "\(unknown.output)")
        }
    }
}
