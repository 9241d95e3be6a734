import ArgumentParser
import Foundation
import Hummingbird
import LumoraCore
import LumoraDatabase
import LumoraProcess
import LumoraEdge
import LumoraHTTP

struct EdgeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "edge",
        abstract: "Serve every store's storefront: resolve the store from the host and render its pages."
    )

    @OptionGroup var options: DatabaseOptions
    @OptionGroup var media: MediaOptions

    @Option(help: "Address to listen on.") var host = "127.0.0.1"
    @Option(help: "Port to listen on (0: any free port; see --port-file).") var port = 8080
    @Option(name: .customLong("port-file"), help: "Write the port listened on to this file once listening.") var portFile: String?
    @Option(name: .customLong("root-domain"), help: "Stores live at <slug>.<root-domain>.") var rootDomain = "lumora.localhost"
    @Option(name: .customLong("secret-file"), help: "A file holding the signing secret shared by the edge and the cells (default: LUMORA_EDGE_SECRET).")
    var secretFile: String?
    @Option(name: .customLong("shared-cell"), help: "URL of the shared cell, unless lumora.cells lists one (default: LUMORA_SHARED_CELL_URL).")
    var sharedCell: String?
    @Option(name: .customLong("trusted-proxy"), help: "An address or CIDR range whose x-forwarded-host/-proto are believed (repeatable).")
    var trustedProxies: [String] = []
    @Option(name: .customLong("manager-url"), help: "The manager, for the landing page's signup and the dashboard at app.<root> (default: LUMORA_MANAGER_URL).")
    var managerURL: String?
    @Option(name: .customLong("page-cache-seconds"),
            help: "Seconds a rendered catalog page may live without a change notification (changes drop it at once).")
    var pageCacheSeconds: Int = 60

    func run() async throws {
        let logger = options.makeLogger("lumora.edge")
        let environment = ProcessInfo.processInfo.environment
        let secret = try Secrets.signingSecret(file: secretFile, role: "edge")
        guard pageCacheSeconds >= 0 else { throw ValidationError("--page-cache-seconds must be 0 or more") }
        let ranges = try trustedProxies.map { raw -> IPRange in
            guard let range = IPRange(raw) else { throw ValidationError("--trusted-proxy \(raw) is not an address or CIDR range") }
            return range
        }
        let database = try await DatabaseHandle.open(dataDirectory: options.dataDirectoryURL, logger: logger)
        let configuration = EdgeConfiguration(
            host: host, port: port, rootDomain: rootDomain, database: database.edgeURL, signingSecret: secret,
            sharedCellURL: sharedCell ?? environment["LUMORA_SHARED_CELL_URL"], trustedProxies: ranges,
            managerURL: managerURL ?? environment["LUMORA_MANAGER_URL"], accountsToken: AccountsToken.derived(fromSigningSecret: secret),
            version: LumoraVersion.running, pageCacheLifetime: .seconds(pageCacheSeconds),
            mediaStore: try media.store(dataDirectory: options.dataDirectoryURL))
        do {
            try await RoleRunner.run(try await buildApplication(configuration: configuration, logger: logger, onListening: PortFile.writer(portFile)), logger: logger)
        } catch {
            await database.close()
            throw error
        }
        await database.close()
    }
}
