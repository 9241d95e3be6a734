/// The shape of a v2 Service as the proto defines it, so the fake refuses what Google's
/// front end refuses: unknown field names (a misspelt `minInstances` would otherwise be
/// silently ignored) and wrong JSON types. Proto3 JSON also accepts the original
/// snake_case names; they are normalised to camelCase here.
enum CloudRunSchema {
    indirect enum Node: Sendable {
        case message([String: Node])
        case list(Node)
        /// `map<string, string>`: keys are data, not field names.
        case map
        case scalar
        /// Parts the fake does not model (volumes, VPC access, …): taken as they come.
        case any
    }

    static let probe: Node = .message([
        "initialDelaySeconds": .scalar, "timeoutSeconds": .scalar, "periodSeconds": .scalar, "failureThreshold": .scalar,
        "httpGet": .message(["path": .scalar, "port": .scalar, "httpHeaders": .list(.message(["name": .scalar, "value": .scalar]))]),
        "tcpSocket": .message(["port": .scalar]),
        "grpc": .message(["port": .scalar, "service": .scalar]),
    ])

    static let container: Node = .message([
        "name": .scalar, "image": .scalar, "command": .list(.scalar), "args": .list(.scalar),
        "env": .list(.message([
            "name": .scalar, "value": .scalar,
            "valueSource": .message(["secretKeyRef": .message(["secret": .scalar, "version": .scalar])]),
        ])),
        "resources": .message(["limits": .map, "cpuIdle": .scalar, "startupCpuBoost": .scalar]),
        "ports": .list(.message(["name": .scalar, "containerPort": .scalar])),
        "volumeMounts": .any, "workingDir": .scalar, "livenessProbe": probe, "startupProbe": probe,
        "dependsOn": .list(.scalar), "baseImageUri": .scalar, "buildInfo": .any,
    ])

    static let template: Node = .message([
        "revision": .scalar, "labels": .map, "annotations": .map,
        "scaling": .message(["minInstanceCount": .scalar, "maxInstanceCount": .scalar]),
        "vpcAccess": .any, "timeout": .scalar, "serviceAccount": .scalar, "containers": .list(container), "volumes": .any,
        "executionEnvironment": .scalar, "encryptionKey": .scalar, "maxInstanceRequestConcurrency": .scalar, "serviceMesh": .any,
        "encryptionKeyRevocationAction": .scalar, "encryptionKeyShutdownDuration": .scalar, "sessionAffinity": .scalar,
        "healthCheckDisabled": .scalar, "nodeSelector": .any, "gpuZonalRedundancyDisabled": .scalar,
    ])

    static let traffic: Node = .message(["type": .scalar, "revision": .scalar, "percent": .scalar, "tag": .scalar])

    static let service: Node = .message([
        "name": .scalar, "description": .scalar, "uid": .scalar, "generation": .scalar, "labels": .map, "annotations": .map,
        "createTime": .scalar, "updateTime": .scalar, "deleteTime": .scalar, "expireTime": .scalar, "creator": .scalar,
        "lastModifier": .scalar, "client": .scalar, "clientVersion": .scalar, "ingress": .scalar, "launchStage": .scalar,
        "binaryAuthorization": .any, "template": template, "traffic": .list(traffic), "scaling": .any,
        "invokerIamDisabled": .scalar, "defaultUriDisabled": .scalar, "urls": .list(.scalar), "customAudiences": .list(.scalar),
        "observedGeneration": .scalar, "terminalCondition": .any, "conditions": .any, "latestReadyRevision": .scalar,
        "latestCreatedRevision": .scalar, "trafficStatuses": .any, "uri": .scalar, "satisfiesPzs": .scalar, "buildConfig": .any,
        "reconciling": .scalar, "etag": .scalar, "threatDetectionEnabled": .scalar,
    ])

    static func camelCase(_ name: String) -> String {
        guard name.contains("_") else { return name }
        let parts = name.split(separator: "_")
        return (parts.first.map(String.init) ?? "") + parts.dropFirst().map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined()
    }

    static func normalize(_ json: FakeJSON, as node: Node, path: String) throws(CloudRunWire.Failure) -> FakeJSON {
        if json == .null { return json }
        switch node {
        case .any:
            return json
        case .scalar:
            switch json {
            case .array, .object: throw CloudRunWire.invalid("Invalid value at '\(path)': expected a single value.")
            default: return json
            }
        case .map:
            guard let object = json.object else { throw CloudRunWire.invalid("Invalid value at '\(path)': expected a map.") }
            for (key, value) in object where value.string == nil && value.number == nil && value.bool == nil {
                throw CloudRunWire.invalid("Invalid value at '\(path)[\(key)]' (TYPE_STRING).")
            }
            return json
        case .list(let element):
            guard let array = json.array else { throw CloudRunWire.invalid("Invalid value at '\(path)': expected a list.") }
            var result: [FakeJSON] = []
            for (index, item) in array.enumerated() {
                result.append(try normalize(item, as: element, path: "\(path)[\(index)]"))
            }
            return .array(result)
        case .message(let fields):
            guard let object = json.object else { throw CloudRunWire.invalid("Invalid value at '\(path)': expected an object.") }
            var result: [String: FakeJSON] = [:]
            for (key, value) in object {
                // "@type" and other extension keys do not occur in a Service body.
                let name = camelCase(key)
                guard let child = fields[name] else {
                    throw CloudRunWire.invalid("Invalid JSON payload received. Unknown name \"\(key)\" at '\(path)': Cannot find field.")
                }
                result[name] = try normalize(value, as: child, path: "\(path).\(name)")
            }
            return .object(result)
        }
    }
}
