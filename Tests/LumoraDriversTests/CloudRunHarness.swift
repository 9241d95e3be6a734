import Foundation
import Logging
import LumoraCore
import LumoraDatabase
import LumoraDrivers
import LumoraFakes
import LumoraTestSupport
import PostgresNIO

/// A Cloud Run runtime against the loopback fake, with a fresh control database and delays
/// short enough for tests.
struct CloudRunHarness: Sendable {
    static let project = "lumora-test"
    static let region = "europe-west1"
    static let repository = "europe-docker.pkg.dev/lumora-test/lumora/lumora"

    let fake: FakeCloudRun
    let database: TestDatabase
    let client: PostgresClient

    /// Attempts bound these retries; the deadline only guards against a hang (a loaded CI run
    /// spent more than 10 s before honouring a second Retry-After).
    static let fastRetry = RetryPolicy(maximumAttempts: 5, baseDelay: .milliseconds(5), maximumDelay: .milliseconds(50),
                                       deadline: .seconds(120), jitter: 0.2)

    static func configuration(_ fake: FakeCloudRun, credentials: GoogleAccessTokens.Source = .token("test-token"),
                              project: String = project, imageRepository: String? = repository,
                              edgeSecret: CloudRunConfiguration.EdgeSecret = .plain("edge-secret"),
                              retry: RetryPolicy = fastRetry, canaryReadyTimeout: Duration = .seconds(60)) throws -> CloudRunConfiguration {
        CloudRunConfiguration(
            project: project, region: region, baseURL: fake.baseURL, credentials: credentials, imageRepository: imageRepository,
            cellDatabaseURL: try DatabaseURL(string: "postgres://cell:pw@10.0.0.5:5432/lumora"), edgeSecret: edgeSecret,
            retry: retry, operationTimeout: .seconds(10), pollInterval: .milliseconds(2),
            // A healthy canary answers its first probe; the deadline only guards against a hang
            // (a loaded CI machine took longer than 300 ms to let a probe through).
            canaryReadyTimeout: canaryReadyTimeout, canaryProbeInterval: .milliseconds(10))
    }

    /// Runs `body` with a fake, a database and a running pool; shuts the fake down after.
    static func with<T: Sendable>(_ body: (CloudRunHarness) async throws -> T) async throws -> T {
        let fake = try await FakeCloudRun.start(project: project, region: region, acceptedTokens: ["test-token"])
        fake.setOperationPolls(2)
        do {
            let result = try await TestDatabase.withFresh { database in
                try await database.withClient { client in
                    try await body(CloudRunHarness(fake: fake, database: database, client: client))
                }
            }
            await fake.shutdown()
            return result
        } catch {
            await fake.shutdown()
            throw error
        }
    }

    func runtime(_ configuration: CloudRunConfiguration? = nil) throws -> CloudRunCellRuntime {
        CloudRunCellRuntime(configuration: try configuration ?? Self.configuration(fake), client: client, logger: database.logger)
    }

    struct Row: Equatable {
        let runtime: String
        let status: String
        let endpoint: String?
        let version: String
        let image: String?
        let lastError: String?
    }

    func row(_ id: String) async throws -> Row? {
        try await client.query("SELECT runtime, status, endpoint, version, image, last_error FROM lumora.cells WHERE id = \(id)")
            .collect((String, String, String?, String, String?, String?).self)
            .first.map { Row(runtime: $0.0, status: $0.1, endpoint: $0.2, version: $0.3, image: $0.4, lastError: $0.5) }
    }
}

func slug(_ text: String) throws -> StoreSlug { try StoreSlug(validating: text) }

func dedicated(_ store: String, _ version: String, image: String? = nil) throws -> CellSpec {
    .dedicated(try slug(store), version: CellVersion(name: version, image: image))
}

/// The single revision taking traffic in the fake (by `trafficStatuses`).
func servingRevision(_ service: FakeCloudRunService?) -> String? {
    guard let service else { return nil }
    let serving = service.trafficStatuses.filter { $0.percent > 0 }
    guard serving.count == 1, let only = serving.first, only.percent == 100 else { return nil }
    return only.isLatest ? service.latestReadyRevision : only.revision
}
