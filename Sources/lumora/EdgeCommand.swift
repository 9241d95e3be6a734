import ArgumentParser
import Foundation
import Hummingbird
import LumoraCore
import LumoraDatabase
import LumoraEdge

struct EdgeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "edge",
        abstract: "Serve every store's storefront: resolve the store from the host and render its pages."
    )

    @OptionGroup var options: DatabaseOptions

    @Option(help: "Address to listen on.") var host = "127.0.0.1"
    @Option(help: "Port to listen on.") var port = 8080
    @Option(name: .customLong("root-domain"), help: "Stores live at <slug>.<root-domain>.") var rootDomain = "lumora.localhost"
    @Option(help: "Secret shared with the cells for request signatures (default: LUMORA_EDGE_SECRET).") var secret: String?
    @Option(name: .customLong("shared-cell"), help: "URL of the shared cell, unless lumora.cells lists one (default: LUMORA_SHARED_CELL_URL).")
    var sharedCell: String?
    @Option(name: .customLong("trusted-proxy"), help: "An address or CIDR range whose x-forwarded-host/-proto are believed (repeatable).")
    var trustedProxies: [String] = []
    @Option(name: .customLong("manager-url"), help: "The manager, for the landing page's signup form (default: LUMORA_MANAGER_URL).")
    var managerURL: String?
    @Option(name: .customLong("page-cache-seconds"),
            help: "Seconds a rendered catalog page may live without a change notification (changes drop it at once).")
    var pageCacheSeconds: Int = 60

    func run() async throws {
        let logger = options.makeLogger("lumora.edge")
        let environment = ProcessInfo.processInfo.environment
        guard let secret = secret ?? environment["LUMORA_EDGE_SECRET"], !secret.isEmpty else {
            throw ValidationError("the edge needs the signing secret it shares with the cells: --secret or LUMORA_EDGE_SECRET")
        }
        guard pageCacheSeconds >= 0 else { throw ValidationError("--page-cache-seconds must be 0 or more") }
        let ranges = try trustedProxies.map { raw -> IPRange in
            guard let range = IPRange(raw) else { throw ValidationError("--trusted-proxy \(raw) is not an address or CIDR range") }
            return range
        }
        let database = try await DatabaseHandle.open(dataDirectory: options.dataDirectoryURL, logger: logger)
        let configuration = EdgeConfiguration(
            host: host, port: port, rootDomain: rootDomain, database: database.url, signingSecret: secret,
            sharedCellURL: sharedCell ?? environment["LUMORA_SHARED_CELL_URL"], trustedProxies: ranges,
            managerURL: managerURL ?? environment["LUMORA_MANAGER_URL"],
            version: LumoraVersion.running, pageCacheLifetime: .seconds(pageCacheSeconds))
        do {
            try await RoleRunner.run(try await buildApplication(configuration: configuration, logger: logger), logger: logger)
        } catch {
            await database.close()
            throw error
        }
        await database.close()
    }
}
