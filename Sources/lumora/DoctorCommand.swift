import ArgumentParser
import Foundation
import LumoraCore
import LumoraDatabase
import LumoraDrivers
import PostgresNIO

/// `lumora doctor`: can this configuration run a platform? Checks the database, the cell
/// runtime (credentials, project, region, image) and the domain provider (token, project), and
/// says exactly what is missing.
struct DoctorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "doctor",
        abstract: "Check the database, the cell runtime and the domain provider this configuration would use."
    )

    @OptionGroup var options: DatabaseOptions
    @OptionGroup var platform: PlatformOptions
    @OptionGroup var drivers: DriverOptions

    func run() async throws {
        let logger = options.makeLogger("lumora.doctor")
        var checks: [DoctorCheck] = []
        let environment = drivers.environment(edgeSecret: nil)

        let database = try await DatabaseHandle.open(dataDirectory: options.dataDirectoryURL, logger: logger)
        do {
            try await PostgresClient.withRunning(database.url.clientConfiguration(maximumConnections: 2), logger: logger) { client in
                checks.append(await Self.database(client, url: database.url))
                checks += await runtimeChecks(environment, client: client, logger: logger)
            }
        } catch {
            checks.append(DoctorCheck(name: "database", ok: false, detail: "\(error)"))
        }
        await database.close()
        checks += await domainChecks(environment)

        for check in checks {
            print("\(check.ok ? "✓" : "✗") \(check.name): \(check.detail)")
        }
        let failed = checks.filter { !$0.ok }.count
        print(failed == 0 ? "\nEverything this configuration needs is in place." : "\n\(failed) check(s) failed.")
        if failed > 0 { throw ExitCode(1) }
    }

    static func database(_ client: PostgresClient, url: DatabaseURL) async -> DoctorCheck {
        do {
            let version = try await client.query("SELECT COALESCE(max(version), 0)::int FROM lumora.control_migrations").collect(Int.self).first ?? 0
            let known = try MigrationSet.control().latestVersion
            return DoctorCheck(name: "database", ok: version == known,
                               detail: version == known ? "\(url.description) answers; control schema at version \(version)"
                                   : "control schema at version \(version) of \(known): run `lumora migrate`")
        } catch {
            return DoctorCheck(name: "database", ok: false, detail: "\(url.description): \(error.databaseMessage) (run `lumora migrate` on a new database)")
        }
    }

    private func runtimeChecks(_ environment: [String: String], client: PostgresClient, logger: Logger) async -> [DoctorCheck] {
        do {
            switch try drivers.runtime(environment) {
            case .local:
                let binary = platform.cellVersion.binary ?? ""
                let runnable = FileManager.default.isExecutableFile(atPath: binary)
                return [DoctorCheck(name: "cell runtime", ok: runnable,
                                    detail: runnable ? "local processes running \(binary)" : "\(binary) is not an executable lumora binary (--cell-binary)")]
            case .cloudrun:
                let configuration = try CloudRunConfiguration.fromEnvironment(environment)
                return [DoctorCheck(name: "cell runtime", ok: true, detail: "Cloud Run, project \(configuration.project), region \(configuration.region)")]
                    + (await CloudRunCellRuntime(configuration: configuration, client: client, logger: logger).diagnose())
            }
        } catch {
            return [DoctorCheck(name: "cell runtime", ok: false, detail: Self.describe(error))]
        }
    }

    private func domainChecks(_ environment: [String: String]) async -> [DoctorCheck] {
        do {
            switch try drivers.domainDriver(environment) {
            case .local:
                return [DoctorCheck(name: "domains", ok: true, detail: "local: *.\(platform.rootDomain) and custom domains live in the control schema only")]
            case .vercel:
                let configuration = try VercelConfiguration.fromEnvironment(environment)
                return [DoctorCheck(name: "domains", ok: true, detail: "Vercel project \(configuration.project)")]
                    + (await VercelDomainProvider(configuration: configuration).diagnose())
            }
        } catch {
            return [DoctorCheck(name: "domains", ok: false, detail: Self.describe(error))]
        }
    }

    static func describe(_ error: any Error) -> String {
        (error as? LumoraError)?.message ?? "\(error)"
    }
}
