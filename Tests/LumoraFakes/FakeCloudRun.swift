import Foundation
import Synchronization

/// A Cloud Run Admin API v2 on loopback, following `shared/contracts/cloud-run-admin-v2.md`:
/// services, revisions, traffic, long-running operations, Google error bodies, and simulated
/// containers behind each service's `uri`. Start one per test; knobs change its behaviour.
public final class FakeCloudRun: Sendable {
    private let server: LoopbackServer
    private let box: StateBox

    public let project: String
    public let region: String

    private init(server: LoopbackServer, box: StateBox, project: String, region: String) {
        self.server = server
        self.box = box
        self.project = project
        self.region = region
    }

    public static func start(project: String = "lumora-test", region: String = "europe-west1",
                             acceptedTokens: Set<String> = ["test-token"]) async throws -> FakeCloudRun {
        // The state must exist before the server (requests read it); the base URL, needed
        // for `uri` fields, is filled in once the port is known.
        let box = StateBox(CloudRunState(project: project, location: region, acceptedTokens: acceptedTokens))
        let server = try await LoopbackServer.start(name: "fake-cloud-run") { request in
            box.state.withLock { $0.handle(request) }
        }
        box.state.withLock { $0.baseURL = server.baseURL }
        return FakeCloudRun(server: server, box: box, project: project, region: region)
    }

    /// `Mutex` is not copyable: the server's closure and the fake share it through this box.
    private final class StateBox: Sendable {
        let state: Mutex<CloudRunState>
        init(_ initial: CloudRunState) { state = Mutex(initial) }
    }

    /// `http://127.0.0.1:<port>`; the API lives under `/v2/…`.
    public var baseURL: String { server.baseURL }

    public func shutdown() async { await server.shutdown() }

    public func acceptToken(_ token: String) {
        box.state.withLock { _ = $0.acceptedTokens.insert(token) }
    }

    /// Accepts every token `tokens` issued and that has not expired.
    public func acceptTokens(from tokens: FakeGoogleTokens) {
        box.state.withLock { $0.tokenSources.append(tokens) }
    }

    // MARK: knobs

    /// An operation reports `done: true` on its `count`-th GET (default 2); `:wait` finishes
    /// it at once. Applies to operations started afterwards.
    public func setOperationPolls(_ count: Int) {
        box.state.withLock { $0.operationPolls = max(count, 1) }
    }

    /// Deploying an image whose reference contains `marker` fails: the operation ends with
    /// an error, the service's terminal condition is FAILED with `message`.
    public func failRevisions(imageContaining marker: String, message: String) {
        box.state.withLock { $0.failingImages.append((marker, message)) }
    }

    /// Injected failures not answered yet.
    public var pendingInjectedFailures: Int {
        box.state.withLock { $0.injected.count }
    }

    /// The image is fixed: revisions deploy again (a retried deploy then succeeds).
    public func stopFailingRevisions() {
        box.state.withLock { $0.failingImages.removeAll() }
    }

    /// Such revisions deploy, but their container answers `/ready` with 503 and everything
    /// else with 500 (checked on every request, so this can also break a running revision).
    public func unhealthyRevisions(imageContaining marker: String) {
        box.state.withLock { $0.unhealthyImages.append(marker) }
    }

    /// The next Admin API requests (not `/run/…`) answer these statuses in order, with
    /// Google error bodies and `Retry-After` if given.
    public func injectFailures(_ statuses: [Int], retryAfterSeconds: Int? = nil) {
        box.state.withLock {
            $0.injected.append(contentsOf: statuses)
            $0.injectedRetryAfter = retryAfterSeconds
        }
    }

    /// A settled service whose labels are not Lumora's (someone else's workload in the
    /// same project).
    public func addForeignService(id: String, labels: [String: String] = ["team": "someone-else"], image: String = "gcr.io/other/app:1") {
        box.state.withLock { state in
            let template: FakeJSON = ["containers": [["image": .string(image)]]]
            var service = CloudRunState.Service(
                id: id, labels: labels, template: template, extra: [:],
                traffic: [FakeTrafficTarget(type: FakeTrafficTarget.latestType, revision: nil, percent: 100, tag: nil)])
            try? state.applyTemplate(template, to: &service)
            for index in service.revisions.indices { service.revisions[index].phase = .ready }
            service.latestReady = service.latestCreated
            service.reconciling = false
            service.conditionState = "CONDITION_SUCCEEDED"
            service.observedGeneration = service.generation
            service.trafficStatuses = service.traffic.map { target in
                var status = target
                status.revision = service.latestReady
                return status
            }
            state.services[id] = service
        }
    }

    // MARK: inspection

    public var serviceIDs: [String] {
        box.state.withLock { $0.services.keys.sorted() }
    }

    public func service(_ id: String) -> FakeCloudRunService? {
        box.state.withLock { state in state.services[id].map { state.snapshot($0) } }
    }

    /// `METHOD /path?query` of every request, Admin API and `/run/…`, in order.
    public var requestLog: [String] {
        box.state.withLock { $0.requestLog }
    }

    /// Full names of the operations started so far.
    public var operationNames: [String] {
        box.state.withLock { Array($0.operations.keys).sorted() }
    }

    /// The URL of a service's simulated container (what its `uri` field says).
    public func uri(of serviceID: String, tag: String? = nil) -> String {
        baseURL + "/run/\(serviceID)" + (tag.map { "/tag/\($0)" } ?? "")
    }
}

extension CloudRunState {
    mutating func handle(_ request: FakeHTTPRequest) -> FakeHTTPResponse {
        requestLog.append("\(request.method) \(request.rawTarget)")
        switch request.segments.first {
        case "run": return handleContainer(request)
        case "v2": return handleAPI(request)
        default: return .google(404, "The requested URL \(request.rawTarget) was not found on this server.")
        }
    }
}
