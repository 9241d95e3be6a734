import ArgumentParser
import Foundation
import LumoraCore
import LumoraDatabase
import LumoraDrivers
import LumoraMail
import PostgresNIO

/// `lumora doctor`: can this configuration run a platform? Checks the database, the cell
/// runtime (credentials, project, region, image), the domain provider (token, project) and, when
/// one is given, the SMTP server (it answers, TLS and AUTH pass), and says exactly what is missing.
struct DoctorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "doctor",
        abstract: "Check the database, the cell runtime and the domain provider this configuration would use."
    )

    @OptionGroup var options: DatabaseOptions
    @OptionGroup var platform: PlatformOptions
    @OptionGroup var drivers: DriverOptions
    @OptionGroup var mail: MailOptions
    @OptionGroup var paymentOptions: PaymentOptions

    func run() async throws {
        let logger = options.makeLogger("lumora.doctor")
        var checks: [DoctorCheck] = []
        let environment = drivers.environment(edgeSecret: nil)

        let database = try await DatabaseHandle.open(dataDirectory: options.dataDirectoryURL, logger: logger)
        do {
            try await PostgresClient.withRunning(database.url.clientConfiguration(maximumConnections: 2), logger: logger) { client in
                checks.append(await Self.database(client, url: database.url))
                checks += await Self.roles(database, logger: logger)
                checks += await runtimeChecks(environment, client: client, logger: logger)
            }
        } catch {
            checks.append(DoctorCheck(name: "database", ok: false, detail: "\(error)"))
        }
        await database.close()
        checks += await domainChecks(environment)
        if let check = await mailCheck(logger: logger) { checks.append(check) }
        checks.append(paymentCheck())

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

    /// The roles the processes log in as: none a superuser, cells unable to read store data
    /// outside a store's role.
    static func roles(_ database: DatabaseHandle, logger: Logger) async -> [DoctorCheck] {
        var checks: [DoctorCheck] = []
        for (name, url) in [("owner role", database.url), ("cell role", database.cellURL), ("edge role", database.edgeURL)] {
            do {
                let row = try await PostgresClient.withRunning(url.clientConfiguration(maximumConnections: 1), logger: logger) { client in
                    try await client.query("SELECT current_user::text, rolsuper, rolinherit FROM pg_roles WHERE rolname = current_user")
                        .collect((String, Bool, Bool).self).first
                }
                guard let (user, superuser, inherits) = row else { throw LumoraError.internalError("no such role") }
                if superuser {
                    checks.append(DoctorCheck(name: name, ok: false, detail: "\(user) is a superuser: the database would not hold the store boundary"))
                } else if name != "owner role", user == database.url.username {
                    checks.append(DoctorCheck(name: name, ok: true, detail: "\(user), the owner: SQL naming another store is still refused (every store "
                        + "transaction enters the store's role), but set \(name == "cell role" ? "LUMORA_CELL_DATABASE_URL to lumora_cell" : "LUMORA_EDGE_DATABASE_URL to lumora_edge") so a compromised process cannot leave it"))
                } else {
                    checks.append(DoctorCheck(name: name, ok: !(name == "cell role" && inherits),
                                              detail: name == "cell role" && inherits ? "\(user) inherits its store roles' rights: ALTER ROLE \(user) NOINHERIT" : "\(user), not a superuser"))
                }
            } catch {
                checks.append(DoctorCheck(name: name, ok: false, detail: "\(url.description): \(error.databaseMessage)"))
            }
        }
        return checks
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

    /// Nothing without an SMTP server: the manager then prints mail in its log.
    private func mailCheck(logger: Logger) async -> DoctorCheck? {
        do {
            guard let mailer = try mail.makeMailer(rootDomain: platform.rootDomain, logger: logger) else { return nil }
            let server = "\(mailer.client.configuration)"
            do {
                try await mailer.client.verify()
                return DoctorCheck(name: "smtp", ok: true, detail: "\(server) takes this configuration; mail comes from \(mailer.sender.address)")
            } catch {
                return DoctorCheck(name: "smtp", ok: false, detail: "\(server): \(error)")
            }
        } catch {
            return DoctorCheck(name: "smtp", ok: false, detail: Self.describe(error))
        }
    }

    /// Which providers stores may choose, and whether Stripe's keys are there and look right
    /// (no call is made: the platform's key would act on a real account).
    private func paymentCheck() -> DoctorCheck {
        do {
            let (payments, stripe) = try paymentOptions.cellPayments()
            var offered = payments.available.map(\.rawValue)
            if let stripe {
                offered.append("stripe")
                let mode = stripe.secretKey.contains("_live_") ? "live" : "test"
                return DoctorCheck(name: "payments", ok: true, detail: "\(offered.joined(separator: ", ")); Stripe at \(stripe.apiBase) in \(mode) mode "
                    + "(\(stripe)); point the Stripe webhook endpoint at https://<root domain>/webhooks/stripe")
            }
            return DoctorCheck(name: "payments", ok: true, detail: offered.joined(separator: ", ") + " (add stripe with --payments stripe or LUMORA_PAYMENTS)")
        } catch {
            return DoctorCheck(name: "payments", ok: false, detail: Self.describe(error))
        }
    }

    static func describe(_ error: any Error) -> String {
        (error as? LumoraError)?.message ?? "\(error)"
    }
}
