import ArgumentParser
import Foundation
import Logging
import LumoraCore
import LumoraDatabase
import LumoraDrivers
import PostgresNIO

/// Which drivers run the cells and bind the domains. Each flag overrides the environment
/// variable of the same meaning; tokens come from the environment only (never the command
/// line, which other users of the machine can read).
struct DriverOptions: ParsableArguments {
    @Option(name: .customLong("cell-runtime"), help: "local (cell processes on this machine) or cloudrun (default: LUMORA_CELL_RUNTIME or local).")
    var cellRuntime: String?
    @Option(name: .customLong("domains"), help: "local or vercel (default: LUMORA_DOMAINS or local).") var domains: String?
    @Option(name: .customLong("gcp-project"), help: "Google Cloud project of the cells (LUMORA_GCP_PROJECT).") var gcpProject: String?
    @Option(name: .customLong("gcp-region"), help: "Cloud Run region (LUMORA_GCP_REGION).") var gcpRegion: String?
    @Option(name: .customLong("cloudrun-url"), help: "Cloud Run Admin API base URL (LUMORA_CLOUDRUN_URL).") var cloudRunURL: String?
    @Option(name: .customLong("cell-image"), help: "Image repository of the cells, tagged with the version (LUMORA_CELL_IMAGE).") var cellImage: String?
    @Option(name: .customLong("vercel-url"), help: "Vercel API base URL (LUMORA_VERCEL_URL).") var vercelURL: String?
    @Option(name: .customLong("vercel-project"), help: "Vercel project id or name (LUMORA_VERCEL_PROJECT).") var vercelProject: String?
    @Option(name: .customLong("vercel-team"), help: "Vercel team id (LUMORA_VERCEL_TEAM).") var vercelTeam: String?

    enum Runtime: String { case local, cloudrun }
    enum Domains: String { case local, vercel }

    /// The process environment with the flags laid over it.
    func environment(edgeSecret: String?) -> [String: String] {
        var environment = ProcessInfo.processInfo.environment
        let flags: [String: String?] = [
            "LUMORA_CELL_RUNTIME": cellRuntime, "LUMORA_DOMAINS": domains, "LUMORA_GCP_PROJECT": gcpProject,
            "LUMORA_GCP_REGION": gcpRegion, "LUMORA_CLOUDRUN_URL": cloudRunURL, "LUMORA_CELL_IMAGE": cellImage,
            "LUMORA_VERCEL_URL": vercelURL, "LUMORA_VERCEL_PROJECT": vercelProject, "LUMORA_VERCEL_TEAM": vercelTeam,
        ]
        for case let (name, value?) in flags { environment[name] = value }
        if environment["LUMORA_EDGE_SECRET", default: ""].isEmpty, environment["LUMORA_EDGE_SECRET_REF", default: ""].isEmpty, let edgeSecret {
            environment["LUMORA_EDGE_SECRET"] = edgeSecret
        }
        return environment
    }

    func runtime(_ environment: [String: String]) throws -> Runtime {
        let raw = environment["LUMORA_CELL_RUNTIME"].flatMap { $0.isEmpty ? nil : $0 } ?? "local"
        guard let runtime = Runtime(rawValue: raw) else { throw ValidationError("cell runtime '\(raw)' is not local or cloudrun") }
        return runtime
    }

    func domainDriver(_ environment: [String: String]) throws -> Domains {
        let raw = environment["LUMORA_DOMAINS"].flatMap { $0.isEmpty ? nil : $0 } ?? "local"
        guard let domains = Domains(rawValue: raw) else { throw ValidationError("domain provider '\(raw)' is not local or vercel") }
        return domains
    }

    /// The cell runtime the manager builds once it has its database client.
    func makeRuntime(local: LocalCellRuntime.Configuration, edgeSecret: String, logger: Logger) throws -> @Sendable (PostgresClient) -> any CellRuntime {
        let environment = environment(edgeSecret: edgeSecret)
        switch try runtime(environment) {
        case .local:
            return { LocalCellRuntime(configuration: local, client: $0, logger: logger) }
        case .cloudrun:
            let configuration = try CloudRunConfiguration.fromEnvironment(environment)
            return { CloudRunCellRuntime(configuration: configuration, client: $0, logger: logger) }
        }
    }

    func makeDomains(rootDomain: String) throws -> any DomainProvider {
        let environment = environment(edgeSecret: nil)
        switch try domainDriver(environment) {
        case .local: return LocalDomainProvider(edgeHost: "edge.\(rootDomain)")
        case .vercel: return VercelDomainProvider(configuration: try VercelConfiguration.fromEnvironment(environment))
        }
    }
}
