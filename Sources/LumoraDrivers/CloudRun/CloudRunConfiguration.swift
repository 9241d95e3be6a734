import Foundation
import LumoraCore
import LumoraDatabase

/// Everything the Cloud Run runtime needs to know, usually read from the environment.
public struct CloudRunConfiguration: Sendable {
    /// How a cell gets the secret it shares with the edges.
    public enum EdgeSecret: Sendable, Equatable {
        /// As a plain environment variable in the service (visible to whoever can read it).
        case plain(String)
        /// From Secret Manager: `projects/p/secrets/name` or a secret name of the same project,
        /// always its latest version.
        case secretManager(String)
    }

    /// Instances per cell: Cloud Run's `scaling`.
    public struct Scaling: Sendable, Equatable {
        public var minimumInstances: Int
        public var maximumInstances: Int

        public init(minimumInstances: Int, maximumInstances: Int) {
            self.minimumInstances = minimumInstances
            self.maximumInstances = maximumInstances
        }
    }

    public var project: String
    public var region: String
    public var baseURL: String
    public var credentials: GoogleAccessTokens.Source
    /// Where cell images live (`europe-docker.pkg.dev/p/lumora/lumora`); a cell runs
    /// `<repository>:<version>` unless its `CellVersion` names an image.
    public var imageRepository: String?
    /// What the cells connect to (not necessarily what the manager uses: a private IP, a
    /// connection pooler).
    public var cellDatabaseURL: DatabaseURL
    /// The Cloud Storage bucket of store media (`LUMORA_MEDIA_BUCKET`), passed on to the cells.
    public var mediaBucket: String?
    /// Payment settings passed on to every cell (`LUMORA_PAYMENTS`, `LUMORA_STRIPE_*`): the
    /// Stripe key and webhook secret from Secret Manager when `…_REF` names one.
    public var paymentVariables: [(name: String, value: EdgeSecret)] = []
    public var edgeSecret: EdgeSecret
    public var dedicatedScaling: Scaling
    public var sharedScaling: Scaling
    public var retry: RetryPolicy
    /// How long one operation (create, deploy, traffic move, delete) may take.
    public var operationTimeout: Duration
    public var pollInterval: Duration
    /// How long a canary revision has to answer `/ready` on its tag URL before the deploy is
    /// abandoned (traffic never leaves the previous revision).
    public var canaryReadyTimeout: Duration
    public var canaryProbeInterval: Duration
    public var requestTimeout: Duration

    public init(project: String, region: String, baseURL: String = CloudRunClient.defaultBaseURL,
                credentials: GoogleAccessTokens.Source, imageRepository: String?, cellDatabaseURL: DatabaseURL,
                edgeSecret: EdgeSecret,
                dedicatedScaling: Scaling = Scaling(minimumInstances: 1, maximumInstances: 10),
                sharedScaling: Scaling = Scaling(minimumInstances: 1, maximumInstances: 20),
                retry: RetryPolicy = .standard, operationTimeout: Duration = .seconds(600), pollInterval: Duration = .seconds(2),
                canaryReadyTimeout: Duration = .seconds(120), canaryProbeInterval: Duration = .seconds(1),
                requestTimeout: Duration = .seconds(60)) {
        self.project = project
        self.region = region
        self.baseURL = baseURL
        self.credentials = credentials
        self.imageRepository = imageRepository
        self.cellDatabaseURL = cellDatabaseURL
        self.edgeSecret = edgeSecret
        self.dedicatedScaling = dedicatedScaling
        self.sharedScaling = sharedScaling
        self.retry = retry
        self.operationTimeout = operationTimeout
        self.pollInterval = pollInterval
        self.canaryReadyTimeout = canaryReadyTimeout
        self.canaryProbeInterval = canaryProbeInterval
        self.requestTimeout = requestTimeout
    }

    /// Reads `LUMORA_GCP_PROJECT`, `LUMORA_GCP_REGION` (required), `LUMORA_CLOUDRUN_URL`,
    /// credentials (`LUMORA_GCP_TOKEN`, else `GOOGLE_APPLICATION_CREDENTIALS` with an optional
    /// `LUMORA_GCP_TOKEN_URL`, else the metadata server at `LUMORA_GCP_METADATA_URL`),
    /// `LUMORA_CELL_IMAGE`, `LUMORA_CELL_DATABASE_URL` (or `DATABASE_URL`), and
    /// `LUMORA_EDGE_SECRET_REF` or `LUMORA_EDGE_SECRET`.
    public static func fromEnvironment(_ env: [String: String]) throws -> CloudRunConfiguration {
        func value(_ name: String) -> String? {
            guard let text = env[name]?.trimmingCharacters(in: .whitespacesAndNewlines), !text.isEmpty else { return nil }
            return text
        }
        func required(_ name: String, _ purpose: String) throws -> String {
            guard let text = value(name) else {
                throw LumoraError.badRequest("configuration_missing", "\(name) is not set: \(purpose)")
            }
            return text
        }
        let project = try required("LUMORA_GCP_PROJECT", "the Google Cloud project that runs the cells")
        let region = try required("LUMORA_GCP_REGION", "the Cloud Run region of the cells (e.g. europe-west1)")
        let credentials = try GoogleAccessTokens.Source.fromEnvironment(env)
        guard let rawDatabase = value("LUMORA_CELL_DATABASE_URL") ?? value("DATABASE_URL") else {
            throw LumoraError.badRequest("configuration_missing",
                                         "LUMORA_CELL_DATABASE_URL is not set (nor DATABASE_URL): the database the cells connect to")
        }
        let database: DatabaseURL
        do {
            database = try DatabaseURL(string: rawDatabase)
        } catch {
            throw LumoraError.badRequest("configuration_invalid", "LUMORA_CELL_DATABASE_URL: \(error)")
        }
        let secret: EdgeSecret
        if let reference = value("LUMORA_EDGE_SECRET_REF") {
            secret = .secretManager(reference)
        } else if let plain = value("LUMORA_EDGE_SECRET") {
            secret = .plain(plain)
        } else {
            throw LumoraError.badRequest("configuration_missing",
                                         "LUMORA_EDGE_SECRET_REF (a Secret Manager secret) or LUMORA_EDGE_SECRET is not set: the cells need the edge's signing secret")
        }
        var configuration = CloudRunConfiguration(project: project, region: region, baseURL: value("LUMORA_CLOUDRUN_URL") ?? CloudRunClient.defaultBaseURL,
                                                  credentials: credentials, imageRepository: value("LUMORA_CELL_IMAGE"),
                                                  cellDatabaseURL: database, edgeSecret: secret)
        configuration.mediaBucket = value("LUMORA_MEDIA_BUCKET")
        for name in ["LUMORA_PAYMENTS", "LUMORA_PAYMENT_WINDOW_MINUTES", "LUMORA_STRIPE_URL"] {
            if let given = value(name) { configuration.paymentVariables.append((name, .plain(given))) }
        }
        for name in ["LUMORA_STRIPE_SECRET_KEY", "LUMORA_STRIPE_WEBHOOK_SECRET"] {
            if let reference = value(name + "_REF") {
                configuration.paymentVariables.append((name, .secretManager(reference)))
            } else if let plain = value(name) {
                configuration.paymentVariables.append((name, .plain(plain)))
            }
        }
        return configuration
    }
}
