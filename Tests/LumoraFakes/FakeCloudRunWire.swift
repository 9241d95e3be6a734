import Foundation

/// Parsing what a client sends and rendering what Cloud Run answers (proto3 JSON: camelCase,
/// int64 as strings, unset output fields omitted).
enum CloudRunWire {
    static let serviceType = "type.googleapis.com/google.cloud.run.v2.Service"

    /// A request error: `code` is the HTTP status, the Google status follows from it unless
    /// given.
    struct Failure: Error {
        var code: Int
        var message: String
        var status: String?
        var response: FakeHTTPResponse { .google(code, message, status: status) }
    }

    static func invalid(_ message: String) -> Failure { Failure(code: 400, message: message) }

    /// `lowercase letter first, [a-z0-9-], no trailing '-', under 50 characters`.
    static func isValidServiceID(_ id: String) -> Bool {
        id.count < 50 && id.wholeMatch(of: /[a-z]([a-z0-9-]*[a-z0-9])?/) != nil
    }

    /// Revision names follow the same shape (up to 63 characters) and start with the service
    /// name, as Cloud Run requires.
    static func isValidRevisionName(_ name: String, service: String) -> Bool {
        name.count <= 63 && name.hasPrefix(service + "-") && name.wholeMatch(of: /[a-z]([a-z0-9-]*[a-z0-9])?/) != nil
    }

    /// Traffic targets may name revisions in full (`projects/…/revisions/r`) or short.
    static func shortName(_ name: String) -> String {
        name.split(separator: "/").last.map(String.init) ?? name
    }

    // MARK: parsing

    struct ServiceSpec {
        var labels: [String: String]
        var template: FakeJSON
        var traffic: [FakeTrafficTarget]
        /// Other fields the client set (description, ingress, annotations, …), echoed back.
        var extra: [String: FakeJSON]
        var etag: String?
    }

    static let outputOnlyFields: Set<String> = [
        "name", "uid", "generation", "observedGeneration", "createTime", "updateTime", "deleteTime", "expireTime",
        "creator", "lastModifier", "terminalCondition", "conditions", "latestReadyRevision", "latestCreatedRevision",
        "trafficStatuses", "uri", "urls", "reconciling", "etag", "satisfiesPzs",
    ]

    static func parseService(_ body: FakeJSON?) throws(Failure) -> ServiceSpec {
        guard let body, body.object != nil else { throw invalid("The request body must be a JSON Service object.") }
        guard let object = try CloudRunSchema.normalize(body, as: CloudRunSchema.service, path: "service").object else {
            throw invalid("The request body must be a JSON Service object.")
        }
        var labels: [String: String] = [:]
        if let raw = object["labels"], raw != .null {
            guard let dictionary = raw.object else { throw invalid("labels must be a map of strings") }
            for (key, value) in dictionary {
                guard let string = value.string else { throw invalid("label \(key) must be a string") }
                labels[key] = string
            }
        }
        guard let template = object["template"], template.object != nil else {
            throw invalid("service.template is required")
        }
        guard let containers = template["containers"]?.array, !containers.isEmpty else {
            throw invalid("service.template.containers: at least one container is required")
        }
        for (index, container) in containers.enumerated() {
            guard let image = container["image"]?.string, !image.isEmpty else {
                throw invalid("service.template.containers[\(index)].image is required")
            }
            if let env = container["env"], env != .null {
                guard let list = env.array else { throw invalid("containers[\(index)].env must be a list") }
                for variable in list where (variable["name"]?.string ?? "").isEmpty {
                    throw invalid("containers[\(index)].env: every variable needs a name")
                }
            }
        }
        if let scaling = template["scaling"] {
            let minimum = scaling["minInstanceCount"]?.int ?? 0
            let maximum = scaling["maxInstanceCount"]?.int
            if minimum < 0 || (maximum.map { $0 < minimum } ?? false) {
                throw invalid("template.scaling: maxInstanceCount must be at least minInstanceCount")
            }
        }
        let traffic = try parseTraffic(object["traffic"])
        var extra = object.filter { !outputOnlyFields.contains($0.key) }
        for key in ["labels", "template", "traffic"] { extra[key] = nil }
        return ServiceSpec(labels: labels, template: template, traffic: traffic, extra: extra, etag: object["etag"]?.string)
    }

    /// An empty (or absent) list means 100% to the latest ready revision; otherwise the
    /// percentages must add up to 100.
    static func parseTraffic(_ raw: FakeJSON?) throws(Failure) -> [FakeTrafficTarget] {
        guard let raw, raw != .null else { return [FakeTrafficTarget(type: FakeTrafficTarget.latestType, revision: nil, percent: 100, tag: nil)] }
        guard let list = raw.array else { throw invalid("traffic must be a list") }
        if list.isEmpty { return [FakeTrafficTarget(type: FakeTrafficTarget.latestType, revision: nil, percent: 100, tag: nil)] }
        var targets: [FakeTrafficTarget] = []
        var tags: Set<String> = []
        for (index, item) in list.enumerated() {
            guard let type = item["type"]?.string,
                  type == FakeTrafficTarget.latestType || type == FakeTrafficTarget.revisionType
            else {
                throw invalid("traffic[\(index)].type must be TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST or TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION")
            }
            let revision = item["revision"]?.string.map(shortName).flatMap { $0.isEmpty ? nil : $0 }
            if type == FakeTrafficTarget.revisionType, revision == nil {
                throw invalid("traffic[\(index)]: a REVISION target must name a revision")
            }
            if type == FakeTrafficTarget.latestType, revision != nil {
                throw invalid("traffic[\(index)]: a LATEST target must not name a revision")
            }
            let percent: Int
            if let value = item["percent"], value != .null {
                guard let int = value.int, (0...100).contains(int) else { throw invalid("traffic[\(index)].percent must be 0...100") }
                percent = int
            } else {
                percent = 0
            }
            let tag = item["tag"]?.string.flatMap { $0.isEmpty ? nil : $0 }
            if let tag {
                guard tag.count <= 46, tag.wholeMatch(of: /[a-z]([a-z0-9-]*[a-z0-9])?/) != nil else {
                    throw invalid("traffic[\(index)].tag \"\(tag)\" is not a valid tag")
                }
                guard tags.insert(tag).inserted else { throw invalid("traffic: tag \"\(tag)\" is used twice") }
            }
            targets.append(FakeTrafficTarget(type: type, revision: revision, percent: percent, tag: tag))
        }
        let total = targets.reduce(0) { $0 + $1.percent }
        guard total == 100 else {
            throw invalid("Traffic percentages must add up to 100, got \(total).")
        }
        return targets
    }

    // MARK: rendering

    static func traffic(_ target: FakeTrafficTarget) -> FakeJSON {
        FakeJSON.object([
            "type": .string(target.type),
            "revision": target.revision.map(FakeJSON.string) ?? .null,
            // proto3 JSON omits zero scalars: a 0% target has no `percent` at all.
            "percent": target.percent == 0 ? .null : .int(target.percent),
            "tag": target.tag.map(FakeJSON.string) ?? .null,
        ]).compacted
    }
}
