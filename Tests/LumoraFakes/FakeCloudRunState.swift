import Foundation

/// Everything the Cloud Run fake knows, mutated only under its `Mutex`. All the API logic is
/// here as synchronous code; `FakeCloudRun` only routes requests to it.
struct CloudRunState: Sendable {
    struct Revision: Sendable {
        enum Phase: Sendable, Equatable { case pending, ready, failed(String) }
        var name: String
        /// The template that made it, without `revision` (to tell "same configuration").
        var template: FakeJSON
        var phase: Phase = .pending
        /// Requests through the simulated container, by `store|2xx`.
        var requests: [String: Int] = [:]

        var image: String { template["containers"]?.array?.first?["image"]?.string ?? "" }
        var env: [FakeEnvVar] { CloudRunState.env(of: template) }
    }

    struct Service: Sendable {
        var id: String
        var uid = UUID().uuidString.lowercased()
        var labels: [String: String]
        var template: FakeJSON
        var extra: [String: FakeJSON]
        var traffic: [FakeTrafficTarget]
        var trafficStatuses: [FakeTrafficTarget] = []
        var generation = 1
        var observedGeneration = 0
        var etag = CloudRunState.newEtag()
        var reconciling = true
        var conditionState = "CONDITION_RECONCILING"
        var conditionMessage: String?
        var revisions: [Revision] = []
        var latestCreated: String?
        var latestReady: String?
        var createTime = Date()
        var updateTime = Date()
        var deleting = false

        func revision(_ name: String) -> Revision? { revisions.first { $0.name == name } }
        func revisionIndex(_ name: String) -> Int? { revisions.firstIndex { $0.name == name } }

        /// The revision a target sends requests to (LATEST follows the latest ready one,
        /// unless a status already recorded which one it was).
        func resolve(_ target: FakeTrafficTarget) -> String? {
            target.revision ?? (target.isLatest ? latestReady : nil)
        }
    }

    struct Operation: Sendable {
        enum Kind: Sendable { case create, update, delete }
        var name: String
        var kind: Kind
        var serviceID: String
        var generation: Int
        var pollsNeeded: Int
        var polls = 0
        var done = false
        var error: (code: Int, message: String)?
        var metadata: FakeJSON
        var response: FakeJSON?
    }

    let project: String
    let location: String
    var baseURL = ""
    var acceptedTokens: Set<String>
    var tokenSources: [FakeGoogleTokens] = []
    var operationPolls = 2
    var failingImages: [(marker: String, message: String)] = []
    var unhealthyImages: [String] = []
    var injected: [Int] = []
    var injectedRetryAfter: Int?
    var services: [String: Service] = [:]
    var operations: [String: Operation] = [:]
    var revisionCounter = 0
    var requestLog: [String] = []

    var parent: String { "projects/\(project)/locations/\(location)" }

    static func newEtag() -> String { "\"" + FakeRandom.hex(16) + "\"" }

    static func env(of template: FakeJSON) -> [FakeEnvVar] {
        (template["containers"]?.array?.first?["env"]?.array ?? []).compactMap { item in
            guard let name = item["name"]?.string else { return nil }
            if let secret = item["valueSource"]?["secretKeyRef"] {
                return FakeEnvVar(name: name, value: .secret(name: secret["secret"]?.string ?? "", version: secret["version"]?.string))
            }
            return FakeEnvVar(name: name, value: .plain(item["value"]?.string ?? ""))
        }
    }

    func isUnhealthy(_ revision: Revision) -> Bool {
        unhealthyImages.contains { revision.image.contains($0) }
    }

    func failure(for revision: Revision) -> String? {
        failingImages.first { revision.image.contains($0.marker) }?.message
    }

    // MARK: revisions

    /// Applies a template: a named revision that exists must have the same configuration
    /// (else 409); an unnamed template equal to the latest one makes no new revision.
    mutating func applyTemplate(_ template: FakeJSON, to service: inout Service) throws(CloudRunWire.Failure) {
        let configuration = template.removing("revision")
        if let requested = template["revision"]?.string, !requested.isEmpty {
            guard CloudRunWire.isValidRevisionName(requested, service: service.id) else {
                throw CloudRunWire.invalid(
                    "template.revision \"\(requested)\" must start with \"\(service.id)-\", use [a-z0-9-] and have at most 63 characters")
            }
            if let existing = service.revision(requested) {
                guard existing.template == configuration else {
                    throw CloudRunWire.Failure(
                        code: 409, message: "Revision named '\(requested)' with different configuration already exists.", status: "ALREADY_EXISTS")
                }
                // Pointing the template back at an existing revision (a rollback of the
                // template) makes that revision the latest again; no new one is created.
                service.template = template
                service.latestCreated = requested
                return
            }
            service.revisions.append(Revision(name: requested, template: configuration))
            service.latestCreated = requested
        } else {
            if let latest = service.latestCreated.flatMap(service.revision), latest.template == configuration {
                service.template = template
                return
            }
            revisionCounter += 1
            let name = "\(service.id)-\(String(format: "%05d", revisionCounter))-\(FakeRandom.letters(3))"
            service.revisions.append(Revision(name: name, template: configuration))
            service.latestCreated = name
        }
        service.template = template
    }

    // MARK: operations

    mutating func startOperation(_ kind: Operation.Kind, service: Service) -> FakeJSON {
        let name = "\(parent)/operations/\(UUID().uuidString.lowercased())"
        let operation = Operation(
            name: name, kind: kind, serviceID: service.id, generation: service.generation,
            pollsNeeded: operationPolls, metadata: render(service, typed: true))
        operations[name] = operation
        return render(operation)
    }

    /// Settles the operation's service: its revision becomes ready (or fails), traffic moves
    /// (or the operation fails because it names revisions that cannot serve).
    mutating func finish(_ name: String) {
        guard var operation = operations[name], !operation.done else { return }
        operation.done = true
        defer { operations[name] = operation }
        guard var service = services[operation.serviceID] else {
            operation.response = operation.metadata
            return
        }
        if operation.kind == .delete {
            services[service.id] = nil
            service.reconciling = false
            operation.response = render(service, typed: true)
            return
        }
        // A later change superseded this one: it is over, the later operation settles.
        guard service.generation == operation.generation, service.reconciling else {
            operation.response = render(service, typed: true)
            return
        }
        if let index = service.latestCreated.flatMap(service.revisionIndex), service.revisions[index].phase == .pending {
            if let message = failure(for: service.revisions[index]) {
                service.revisions[index].phase = .failed(message)
            } else {
                service.revisions[index].phase = .ready
                service.latestReady = service.revisions[index].name
            }
        }
        var problem: (code: Int, message: String)?
        if let latest = service.latestCreated.flatMap(service.revision), case .failed(let message) = latest.phase {
            problem = (9, message)
        } else {
            for target in service.traffic {
                guard let revisionName = service.resolve(target) else {
                    problem = (9, "No revision of service '\(service.id)' is ready to receive LATEST traffic.")
                    break
                }
                guard let revision = service.revision(revisionName) else {
                    problem = (5, "Revision named '\(revisionName)' does not exist (traffic target).")
                    break
                }
                if case .failed = revision.phase {
                    problem = (9, "Revision '\(revisionName)' is not ready and cannot serve traffic.")
                    break
                }
            }
        }
        service.reconciling = false
        service.observedGeneration = service.generation
        service.updateTime = Date()
        service.etag = Self.newEtag()
        if let problem {
            service.conditionState = "CONDITION_FAILED"
            service.conditionMessage = problem.message
            operation.error = problem
        } else {
            service.conditionState = "CONDITION_SUCCEEDED"
            service.conditionMessage = nil
            // Statuses name the revision even for a LATEST target: where traffic really goes.
            service.trafficStatuses = service.traffic.map { target in
                var status = target
                status.revision = service.resolve(target)
                return status
            }
            operation.response = render(service, typed: true)
        }
        services[service.id] = service
    }

    // MARK: rendering

    func fullRevisionName(_ service: Service, _ revision: String) -> String {
        "\(parent)/services/\(service.id)/revisions/\(revision)"
    }

    func uri(_ service: Service, tag: String? = nil) -> String {
        baseURL + "/run/\(service.id)" + (tag.map { "/tag/\($0)" } ?? "")
    }

    func render(_ service: Service, typed: Bool = false) -> FakeJSON {
        var condition: FakeJSON = [
            "type": "Ready", "state": .string(service.conditionState), "lastTransitionTime": .string(service.updateTime.rfc3339),
        ]
        if let message = service.conditionMessage { condition["message"] = .string(message) }
        let statuses: [FakeJSON] = service.trafficStatuses.map { target in
            var json = CloudRunWire.traffic(target)
            if let tag = target.tag { json["uri"] = .string(uri(service, tag: tag)) }
            return json
        }
        var object = service.extra
        let account = FakeJSON.string("lumora@\(project).iam.gserviceaccount.com")
        let aggregate = FakeJSON.string(service.reconciling ? "CONDITION_RECONCILING" : service.conditionState)
        let latestCreated: FakeJSON = service.latestCreated.map { .string(fullRevisionName(service, $0)) } ?? .null
        let latestReady: FakeJSON = service.latestReady.map { .string(fullRevisionName(service, $0)) } ?? .null
        let labels: FakeJSON = service.labels.isEmpty ? .null : .object(service.labels.mapValues(FakeJSON.string))
        let observed: FakeJSON = service.observedGeneration > 0 ? .string(String(service.observedGeneration)) : .null
        object["@type"] = typed ? .string(CloudRunWire.serviceType) : nil
        object["name"] = .string("\(parent)/services/\(service.id)")
        object["uid"] = .string(service.uid)
        object["generation"] = .string(String(service.generation))
        object["observedGeneration"] = observed
        object["labels"] = labels
        object["createTime"] = .string(service.createTime.rfc3339)
        object["updateTime"] = .string(service.updateTime.rfc3339)
        object["creator"] = account
        object["lastModifier"] = account
        object["launchStage"] = "GA"
        object["template"] = service.template
        object["traffic"] = .array(service.traffic.map(CloudRunWire.traffic))
        object["terminalCondition"] = condition
        object["conditions"] = [["type": "RoutesReady", "state": aggregate], ["type": "ConfigurationsReady", "state": aggregate]]
        object["latestCreatedRevision"] = latestCreated
        object["latestReadyRevision"] = latestReady
        object["trafficStatuses"] = statuses.isEmpty ? .null : .array(statuses)
        object["uri"] = .string(uri(service))
        object["urls"] = [.string(uri(service))]
        // proto3 JSON omits `false`: a settled service has no `reconciling` field.
        object["reconciling"] = service.reconciling ? true : .null
        object["etag"] = .string(service.etag)
        return FakeJSON.object(object).compacted
    }

    func render(_ operation: Operation) -> FakeJSON {
        var json: FakeJSON = ["name": .string(operation.name), "metadata": operation.metadata, "done": .bool(operation.done)]
        if operation.done {
            if let error = operation.error {
                json["error"] = ["code": .int(error.code), "message": .string(error.message), "details": []]
            } else if let response = operation.response {
                json["response"] = response
            }
        }
        return json
    }

    func snapshot(_ service: Service) -> FakeCloudRunService {
        let container = service.template["containers"]?.array?.first
        return FakeCloudRunService(
            id: service.id, labels: service.labels, image: container?["image"]?.string ?? "",
            args: container?["args"]?.array?.compactMap(\.string) ?? [], env: Self.env(of: service.template),
            minInstanceCount: service.template["scaling"]?["minInstanceCount"]?.int,
            maxInstanceCount: service.template["scaling"]?["maxInstanceCount"]?.int,
            startupProbePath: container?["startupProbe"]?["httpGet"]?["path"]?.string,
            revisions: service.revisions.map { revision in
                let failure: String? = if case .failed(let message) = revision.phase { message } else { nil }
                var requests: [String: [String: Int]] = [:]
                for (key, count) in revision.requests {
                    let parts = key.split(separator: "|", maxSplits: 1).map(String.init)
                    if parts.count == 2 { requests[parts[0], default: [:]][parts[1]] = count }
                }
                return FakeRevision(name: revision.name, image: revision.image, ready: revision.phase == .ready,
                                    failureMessage: failure, env: revision.env, requests: requests)
            },
            traffic: service.traffic, trafficStatuses: service.trafficStatuses, generation: service.generation,
            observedGeneration: service.observedGeneration, etag: service.etag, reconciling: service.reconciling,
            terminalState: service.conditionState, terminalMessage: service.conditionMessage,
            latestCreatedRevision: service.latestCreated, latestReadyRevision: service.latestReady)
    }
}
