import AsyncHTTPClient
import Foundation
import Logging
import LumoraCore
import LumoraDatabase
import PostgresNIO

/// Cells as Cloud Run services: `lumora-store-<slug>` for a dedicated cell, `lumora-shared`
/// for the shared one, one revision per Lumora version (`<service>-<version>`).
///
/// A new version is deployed as a canary: the new revision comes up with no traffic and a
/// `canary` tag URL, answers `/ready` there, and only then takes all the traffic; the
/// revision it replaces keeps a `previous` tag so a rollback can pin traffic back to it. A
/// revision that fails never takes traffic. Cloud Run supervises the instances, so unlike the
/// local runtime there is nothing to restart; what runs is still recorded in `lumora.cells`
/// (runtime `cloudrun`, endpoint = the service URL), which is what the edges route by.
public final class CloudRunCellRuntime: CellRuntime {
    public static let containerPort = 8080

    public let configuration: CloudRunConfiguration
    public let cloudRun: CloudRunClient
    private let client: PostgresClient
    private let logger: Logger
    private let probe: DriverHTTP
    private let locks = KeyedLock()

    /// `tokens` defaults to a cache over `configuration.credentials`; pass one to share it.
    public init(configuration: CloudRunConfiguration, client: PostgresClient, logger: Logger,
                httpClient: HTTPClient = .shared, tokens: GoogleAccessTokens? = nil) {
        self.configuration = configuration
        self.client = client
        self.logger = logger
        let tokens = tokens ?? GoogleAccessTokens(source: configuration.credentials, httpClient: httpClient, retry: configuration.retry)
        self.cloudRun = CloudRunClient(baseURL: configuration.baseURL, project: configuration.project, region: configuration.region,
                                       tokens: tokens, httpClient: httpClient, retry: configuration.retry,
                                       requestTimeout: configuration.requestTimeout)
        self.probe = DriverHTTP(client: httpClient, timeout: .seconds(5))
    }

    // MARK: CellRuntime

    public func ensure(_ spec: CellSpec) async throws -> RunningCell {
        try await locks.withLock(spec.id) {
            try await recorded(spec) { image in try await self.converge(spec, image: image) }
        }
    }

    public func rollback(_ spec: CellSpec) async throws -> RunningCell {
        try await locks.withLock(spec.id) {
            try await recorded(spec) { image in try await self.pinBack(spec, image: image) }
        }
    }

    public func stop(id: String) async throws {
        try await locks.withLock(id) {
            let serviceID = CloudRunNames.serviceID(for: try await self.spec(forCell: id))
            if let operation = try await cloudRun.deleteService(serviceID) {
                _ = try await cloudRun.wait(for: operation, timeout: configuration.operationTimeout,
                                            pollInterval: configuration.pollInterval, what: "delete service \(serviceID)")
            }
            try await client.query(DriverSQL.deleteCell(id: id), logger: logger).drain()
            logger.info("cell stopped", metadata: ["cell": "\(id)", "service": "\(serviceID)"])
        }
    }

    /// Cloud Run keeps the services running; a restarted manager only checks that what it
    /// recorded still exists, and marks the cells whose service has gone as failed.
    public func recover() async throws {
        let rows = try await client.query(DriverSQL.cloudRunCells, logger: logger)
            .collect((String, String, String?, String?, String, String).self)
        for row in rows {
            let spec = Self.spec(id: row.0, kind: row.1, store: row.2, version: row.4)
            let serviceID = CloudRunNames.serviceID(for: spec)
            do {
                if try await cloudRun.service(serviceID) == nil {
                    logger.warning("recorded cell has no Cloud Run service", metadata: ["cell": "\(row.0)", "service": "\(serviceID)"])
                    try await client.query(DriverSQL.markCell(id: row.0, status: "failed",
                                                              error: "the Cloud Run service \(serviceID) no longer exists"),
                                           logger: logger).drain()
                }
            } catch {
                logger.error("could not check a Cloud Run cell", metadata: ["cell": "\(row.0)", "error": "\(error)"])
            }
        }
    }

    /// Nothing runs here: the cells are Cloud Run's.
    public func shutdown(stopCells: Bool) async {}

    // MARK: Deploying

    /// Runs `body` with the cell's image and records the outcome in `lumora.cells`.
    private func recorded(_ spec: CellSpec, _ body: (String) async throws -> CloudRunService) async throws -> RunningCell {
        let image = try image(for: spec)
        do {
            let service = try await body(image)
            guard let uri = service.uri, !uri.isEmpty else {
                throw LumoraError(.badGateway, code: "cloud_run_bad_response",
                                  message: "Cloud Run reported service \(CloudRunNames.serviceID(for: spec)) without a uri")
            }
            try await client.query(DriverSQL.upsertCloudRunReady(spec: spec, endpoint: uri, image: image), logger: logger).drain()
            logger.info("cell ready", metadata: ["cell": "\(spec.id)", "version": "\(spec.version.name)", "uri": "\(uri)"])
            return RunningCell(id: spec.id, endpoint: uri, version: spec.version.name)
        } catch {
            let message = (error as? LumoraError)?.message ?? "\(error)"
            try? await client.query(DriverSQL.upsertCloudRunFailed(spec: spec, image: image, error: message), logger: logger).drain()
            throw error
        }
    }

    /// Brings the service to `spec.version`: create, adopt, canary-deploy, or nothing.
    private func converge(_ spec: CellSpec, image: String) async throws -> CloudRunService {
        let serviceID = CloudRunNames.serviceID(for: spec)
        let base = CloudRunNames.revisionName(service: serviceID, version: spec.version.name)

        guard var service = try await cloudRun.service(serviceID) else {
            let target = base
            let desired = desiredService(spec, image: image, revision: target)
            do {
                var create = desired
                create.traffic = [CloudRunTrafficTarget(type: CloudRunWire.latest, percent: 100)]
                let operation = try await cloudRun.createService(serviceID, create)
                try await wait(operation, "create service \(serviceID)")
                logger.info("created Cloud Run service", metadata: ["service": "\(serviceID)", "revision": "\(target)"])
                return try await awaitRevision(serviceID, target, serving: true)
            } catch let error as LumoraError where error.status == .conflict {
                // Created by an earlier attempt whose answer was lost, or by someone else.
                guard let existing = try await cloudRun.service(serviceID) else { throw error }
                try checkOwnership(existing, spec: spec, serviceID: serviceID)
                logger.info("adopting existing Cloud Run service", metadata: ["service": "\(serviceID)"])
                return try await converge(spec, image: image)
            }
        }
        try checkOwnership(service, spec: spec, serviceID: serviceID)

        if let serving = service.servingRevision, Self.isRevision(serving, of: base), service.reconciling != true {
            return service
        }
        let target = Self.nextRevisionName(base: base, after: service)
        let desired = desiredService(spec, image: image, revision: target)
        guard let previous = service.mainRevision, !Self.isRevision(previous, of: base) else {
            // Nothing serves yet (the first revision failed), or the target already has the
            // most traffic: no canary to measure against, route everything to the target.
            var patch = desired
            patch.traffic = [.revision(target, percent: 100)]
            try await wait(try await cloudRun.patchService(serviceID, patch), "deploy revision \(target)")
            return try await awaitRevision(serviceID, target, serving: true)
        }

        // 1. The new revision, with no traffic and its own URL.
        var canary = desired
        canary.traffic = [.revision(previous, percent: 100, tag: "stable"), .revision(target, percent: 0, tag: "canary")]
        try await wait(try await cloudRun.patchService(serviceID, canary), "deploy revision \(target)")
        service = try await awaitRevision(serviceID, target, serving: false)

        // 2. It must answer /ready at the canary URL before it gets a single request.
        guard let canaryURI = service.tagURI("canary") else {
            throw LumoraError(.badGateway, code: "cloud_run_bad_response",
                              message: "Cloud Run gave revision \(target) no canary URL; traffic stays on \(previous)")
        }
        try await probeReady(canaryURI, revision: target, previous: previous)

        // 3. All traffic to it; the previous revision stays addressable for a rollback.
        var shift = desired
        shift.traffic = [.revision(target, percent: 100), .revision(previous, percent: 0, tag: "previous")]
        try await wait(try await cloudRun.patchService(serviceID, shift), "move traffic to \(target)")
        logger.info("moved traffic to new revision", metadata: ["service": "\(serviceID)", "from": "\(previous)", "to": "\(target)"])
        return try await awaitRevision(serviceID, target, serving: true)
    }

    /// All traffic back to the revision of `spec.version`; a deploy when it no longer exists.
    private func pinBack(_ spec: CellSpec, image: String) async throws -> CloudRunService {
        let serviceID = CloudRunNames.serviceID(for: spec)
        let target = CloudRunNames.revisionName(service: serviceID, version: spec.version.name)
        guard let service = try await cloudRun.service(serviceID) else { return try await converge(spec, image: image) }
        try checkOwnership(service, spec: spec, serviceID: serviceID)
        if service.servingRevision == target, service.reconciling != true { return service }
        // The template is sent back as it is, so no new revision is made: only traffic (and
        // the service's version label) moves.
        var patch = CloudRunService(labels: labels(for: spec), template: service.template, traffic: [.revision(target, percent: 100)])
        if patch.template == nil { patch.template = desiredService(spec, image: image, revision: target).template }
        do {
            try await wait(try await cloudRun.patchService(serviceID, patch), "pin traffic to \(target)")
        } catch let error as LumoraError
            where ["cloud_run_operation_failed", "cloud_run_invalid_argument", "cloud_run_not_found"].contains(error.code) {
            logger.warning("rollback target revision is not available; deploying it again",
                           metadata: ["service": "\(serviceID)", "revision": "\(target)", "error": "\(error.message)"])
            return try await converge(spec, image: image)
        }
        logger.info("rolled back", metadata: ["service": "\(serviceID)", "revision": "\(target)"])
        return try await awaitServing(serviceID, target)
    }

    /// Whether `name` is the revision of the version whose revision name is `base` (a deploy
    /// retried after a failed revision gets `<base>-r2`, `-r3` …).
    static func isRevision(_ name: String, of base: String) -> Bool {
        name == base || (name.hasPrefix(base + "-r") && Int(name.dropFirst(base.count + 2)) != nil)
    }

    /// A revision that failed keeps its name (reusing it would bring back the failed revision,
    /// or be refused): a retried deploy of the same version takes the next name.
    static func nextRevisionName(base: String, after service: CloudRunService) -> String {
        guard let latest = CloudRunService.shortRevision(service.latestCreatedRevision), isRevision(latest, of: base),
              service.terminalCondition?.state == CloudRunWire.failed else { return base }
        let attempt = (Int(latest.dropFirst(base.count + 2)) ?? 1) + 1
        let name = "\(base)-r\(attempt)"
        return name.count <= CloudRunNames.maximumRevisionName ? name : base
    }

    // MARK: Waiting

    private func wait(_ operation: CloudRunOperation, _ what: String) async throws {
        _ = try await cloudRun.wait(for: operation, timeout: configuration.operationTimeout,
                                    pollInterval: configuration.pollInterval, what: what)
    }

    /// Polls the service until `revision` is the latest ready revision (and, with `serving`,
    /// the contract's full readiness rule holds and it takes all the traffic). A failed
    /// revision throws Google's message.
    private func awaitRevision(_ serviceID: String, _ revision: String, serving: Bool) async throws -> CloudRunService {
        let deadline = ContinuousClock.now + configuration.operationTimeout
        while true {
            guard let service = try await cloudRun.service(serviceID) else {
                throw LumoraError(.badGateway, code: "cloud_run_service_missing", message: "Cloud Run service \(serviceID) disappeared during a deploy")
            }
            let latestReady = CloudRunService.shortRevision(service.latestReadyRevision)
            if service.reconciling != true {
                if serving ? (service.isReady && latestReady == revision && service.servingRevision == revision) : latestReady == revision {
                    return service
                }
                // A failure reported for the generation just deployed (not a stale one).
                if let message = service.failureMessage, service.observedGeneration == service.generation {
                    throw LumoraError(.badGateway, code: "cloud_run_revision_failed",
                                      message: "revision \(revision) of \(serviceID) failed: \(message)")
                }
            }
            guard ContinuousClock.now < deadline else {
                throw LumoraError(.gatewayTimeout, code: "cloud_run_timeout",
                                  message: "revision \(revision) of \(serviceID) was not ready within \(configuration.operationTimeout)")
            }
            try await Task.sleep(for: configuration.pollInterval)
        }
    }

    /// Polls until all traffic goes to `revision` (a rollback: the latest created revision
    /// may be a newer, even failed, one).
    private func awaitServing(_ serviceID: String, _ revision: String) async throws -> CloudRunService {
        let deadline = ContinuousClock.now + configuration.operationTimeout
        while true {
            if let service = try await cloudRun.service(serviceID), service.reconciling != true, service.servingRevision == revision {
                return service
            }
            guard ContinuousClock.now < deadline else {
                throw LumoraError(.gatewayTimeout, code: "cloud_run_timeout",
                                  message: "traffic of \(serviceID) did not move to \(revision) within \(configuration.operationTimeout)")
            }
            try await Task.sleep(for: configuration.pollInterval)
        }
    }

    /// GET `<tag uri>/ready` until 200 or the canary timeout.
    private func probeReady(_ uri: String, revision: String, previous: String) async throws {
        let deadline = ContinuousClock.now + configuration.canaryReadyTimeout
        var last = "no answer"
        while true {
            do {
                let reply = try await probe.send(.GET, URLEncoding.trimmed(uri) + "/ready")
                if reply.status == 200 { return }
                last = "HTTP \(reply.status)"
            } catch {
                last = "\(error)"
            }
            guard ContinuousClock.now < deadline else {
                throw LumoraError(.unavailable, code: "cell_not_ready",
                                  message: "revision \(revision) did not answer /ready at \(uri) within \(configuration.canaryReadyTimeout) (last: \(last)); traffic stays on \(previous)")
            }
            try await Task.sleep(for: configuration.canaryProbeInterval)
        }
    }

    // MARK: The service Lumora wants

    func image(for spec: CellSpec) throws -> String {
        if let image = spec.version.image, !image.isEmpty { return image }
        guard let repository = configuration.imageRepository, !repository.isEmpty else {
            throw LumoraError.badRequest("cloud_run_image_missing",
                                         "no image for cell \(spec.id) version \(spec.version.name): set LUMORA_CELL_IMAGE to the image repository")
        }
        return "\(repository):\(spec.version.name)"
    }

    func labels(for spec: CellSpec) -> [String: String] {
        var labels = ["managed-by": "lumora", "lumora-version": CloudRunNames.label(spec.version.name)]
        switch spec.kind {
        case .dedicated: labels["lumora-store"] = CloudRunNames.label(spec.store?.rawValue ?? spec.id)
        case .shared: labels["lumora-cell"] = CloudRunNames.label(spec.id)
        }
        return labels
    }

    func desiredService(_ spec: CellSpec, image: String, revision: String) -> CloudRunService {
        typealias Template = CloudRunRevisionTemplate
        // Cloud Run sends traffic to 0.0.0.0:$PORT; `lumora cell` listens on 127.0.0.1 unless told.
        var args = ["cell", "--host", "0.0.0.0", "--port", String(Self.containerPort), "--cell-id", spec.id]
        let scaling: CloudRunConfiguration.Scaling
        switch spec.kind {
        case .dedicated:
            args += ["--store", spec.store?.rawValue ?? ""]
            scaling = configuration.dedicatedScaling
        case .shared:
            args += ["--shared"]
            scaling = configuration.sharedScaling
        }
        var env: [Template.EnvVar] = [
            .init(name: "DATABASE_URL", value: configuration.cellDatabaseURL.string),
            .init(name: "LUMORA_VERSION", value: spec.version.name),
            .init(name: "LUMORA_CELL_ID", value: spec.id),
        ]
        // Cells write store media where the edges read them.
        if let bucket = configuration.mediaBucket { env.append(.init(name: "LUMORA_MEDIA_BUCKET", value: bucket)) }
        for (name, value) in [("LUMORA_EDGE_SECRET", configuration.edgeSecret)] + configuration.paymentVariables {
            switch value {
            case .plain(let text):
                env.append(.init(name: name, value: text))
            case .secretManager(let reference):
                env.append(.init(name: name, valueSource: .init(secretKeyRef: .init(secret: reference, version: "latest"))))
            }
        }
        let container = Template.Container(
            image: image, args: args, env: env, ports: [.init(containerPort: Self.containerPort)],
            startupProbe: .init(httpGet: .init(path: "/ready"), periodSeconds: 2, failureThreshold: 30))
        let labels = labels(for: spec)
        let template = Template(revision: revision, labels: labels,
                                scaling: .init(minInstanceCount: scaling.minimumInstances, maxInstanceCount: scaling.maximumInstances),
                                containers: [container])
        // The edge and the manager call cells without Google identity tokens: every store
        // request carries the edge's HMAC signature instead, so Cloud Run's invoker check is off.
        return CloudRunService(labels: labels, template: template, invokerIamDisabled: true)
    }

    /// A service of the same name that Lumora did not create for this cell is never taken over.
    private func checkOwnership(_ service: CloudRunService, spec: CellSpec, serviceID: String) throws {
        let labels = service.labels ?? [:]
        let expected = self.labels(for: spec)
        let owned = labels["managed-by"] == "lumora"
            && labels["lumora-store"] == expected["lumora-store"]
            && labels["lumora-cell"] == expected["lumora-cell"]
        guard owned else {
            throw LumoraError.conflict("cloud_run_service_conflict",
                                       "the Cloud Run service \(serviceID) in \(configuration.project)/\(configuration.region) exists but is not Lumora's cell \(spec.id) (labels \(labels.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ","))); rename or delete it")
        }
    }

    // MARK: Records

    /// The spec of a recorded cell (stop only knows the id).
    private func spec(forCell id: String) async throws -> CellSpec {
        if let row = try await client.query(DriverSQL.cell(id: id), logger: logger)
            .collect((String, String, String?, String?, String, String, String, Int32?, String?, String?, Int32?, Int32?).self).first {
            return Self.spec(id: row.0, kind: row.1, store: row.2, version: row.4)
        }
        return Self.spec(id: id, kind: id.hasPrefix("store-") ? "dedicated" : "shared", store: nil, version: "")
    }

    static func spec(id: String, kind: String, store: String?, version: String) -> CellSpec {
        let version = CellVersion(name: version)
        if kind == "dedicated", let slug = try? StoreSlug(validating: store ?? String(id.dropFirst("store-".count))) {
            return .dedicated(slug, version: version)
        }
        return .shared(id: id, version: version)
    }
}
