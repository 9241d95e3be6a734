import Foundation

/// The Admin API routes of the Cloud Run fake (`/v2/projects/{p}/locations/{l}/…`).
extension CloudRunState {
    mutating func handleAPI(_ request: FakeHTTPRequest) -> FakeHTTPResponse {
        // Injected failures come first: they stand for a flaky or overloaded front end.
        if !injected.isEmpty {
            let code = injected.removeFirst()
            let headers = injectedRetryAfter.map { [("Retry-After", String($0))] } ?? []
            let message = code == 429 ? "Quota exceeded for quota metric 'Requests' of service 'run.googleapis.com'." : "Injected failure \(code)."
            return .google(code, message, headers: headers)
        }
        guard let token = request.bearerToken, isAccepted(token) else {
            return .google(
                401, "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.",
                headers: [("WWW-Authenticate", "Bearer realm=\"https://accounts.google.com/\"")])
        }
        let s = request.segments
        guard s.count >= 6, s[0] == "v2", s[1] == "projects", s[3] == "locations" else {
            return .google(404, "The requested URL \(request.rawTarget) was not found on this server.")
        }
        guard s[2] == project else {
            return .google(403, "Permission denied on resource project \(s[2]) (or it may not exist).")
        }
        guard s[4] == location else {
            return .google(404, "Location \(s[4]) is not found or access is unauthorized.")
        }
        do throws(CloudRunWire.Failure) {
            switch (request.method, s[5], s.count) {
            case ("POST", "services", 6): return try create(request)
            case ("GET", "services", 6): return try list(request)
            case ("GET", "services", 7): return try get(s[6])
            case ("PATCH", "services", 7): return try patch(s[6], request)
            case ("DELETE", "services", 7): return try delete(s[6], request)
            case ("GET", "operations", 7): return try pollOperation(s[6])
            case ("POST", "operations", 7) where s[6].hasSuffix(":wait"): return try waitOperation(String(s[6].dropLast(5)))
            default:
                return .google(404, "Method \(request.method) \(request.rawTarget) is not supported by this fake.")
            }
        } catch {
            return error.response
        }
    }

    func isAccepted(_ token: String) -> Bool {
        acceptedTokens.contains(token) || tokenSources.contains { $0.isValid(token) }
    }

    func notFound(_ id: String) -> CloudRunWire.Failure {
        CloudRunWire.Failure(code: 404, message: "Resource '\(id)' of kind 'SERVICE' in region '\(location)' in project '\(project)' does not exist.")
    }

    func existing(_ id: String) throws(CloudRunWire.Failure) -> Service {
        guard let service = services[id] else { throw notFound(id) }
        return service
    }

    mutating func create(_ request: FakeHTTPRequest) throws(CloudRunWire.Failure) -> FakeHTTPResponse {
        guard let id = request.query["serviceId"], !id.isEmpty else { throw CloudRunWire.invalid("serviceId is required") }
        guard CloudRunWire.isValidServiceID(id) else {
            throw CloudRunWire.invalid(
                "Invalid service id '\(id)': must start with a lowercase letter, contain only lowercase letters, digits and '-', not end with '-', and be under 50 characters.")
        }
        let spec = try CloudRunWire.parseService(request.json)
        guard services[id] == nil else {
            throw CloudRunWire.Failure(code: 409, message: "Resource '\(id)' already exists.", status: "ALREADY_EXISTS")
        }
        var service = Service(id: id, labels: spec.labels, template: spec.template, extra: spec.extra, traffic: spec.traffic)
        let counter = revisionCounter
        try applyTemplate(spec.template, to: &service)
        if request.query["validateOnly"] == "true" {
            revisionCounter = counter
            return .json(200, ["name": .string("\(parent)/operations/validate-only"), "done": true, "response": render(service, typed: true)])
        }
        services[id] = service
        return .json(200, startOperation(.create, service: service))
    }

    func get(_ id: String) throws(CloudRunWire.Failure) -> FakeHTTPResponse {
        .json(200, render(try existing(id)))
    }

    func list(_ request: FakeHTTPRequest) throws(CloudRunWire.Failure) -> FakeHTTPResponse {
        let ids = services.keys.sorted()
        let size = request.query["pageSize"].flatMap(Int.init).map { min(max($0, 1), 1000) } ?? 100
        let start: Int
        if let token = request.query["pageToken"], !token.isEmpty {
            guard let offset = Int(token), offset >= 0, offset <= ids.count else { throw CloudRunWire.invalid("Invalid page token.") }
            start = offset
        } else {
            start = 0
        }
        let end = min(start + size, ids.count)
        var body: FakeJSON = ["services": .array(ids[start..<end].compactMap { services[$0].map { render($0) } })]
        if end < ids.count { body["nextPageToken"] = .string(String(end)) }
        return .json(200, body)
    }

    mutating func patch(_ id: String, _ request: FakeHTTPRequest) throws(CloudRunWire.Failure) -> FakeHTTPResponse {
        guard var service = services[id] else {
            guard request.query["allowMissing"] == "true" else { throw notFound(id) }
            guard CloudRunWire.isValidServiceID(id) else { throw CloudRunWire.invalid("Invalid service id '\(id)'.") }
            var creating = request
            creating.query["serviceId"] = id
            return try create(creating)
        }
        let spec = try CloudRunWire.parseService(request.json)
        if let etag = spec.etag, !etag.isEmpty, etag != service.etag {
            throw CloudRunWire.Failure(
                code: 409, message: "The etag \(etag) does not match the service's current etag \(service.etag).", status: "ABORTED")
        }
        guard !service.deleting else {
            throw CloudRunWire.Failure(code: 400, message: "Service '\(id)' is being deleted.", status: "FAILED_PRECONDITION")
        }
        let counter = revisionCounter
        try applyTemplate(spec.template, to: &service)
        service.labels = spec.labels
        service.extra = spec.extra
        service.traffic = spec.traffic
        service.generation += 1
        service.reconciling = true
        service.conditionState = "CONDITION_RECONCILING"
        service.conditionMessage = nil
        service.etag = Self.newEtag()
        service.updateTime = Date()
        if request.query["validateOnly"] == "true" {
            revisionCounter = counter
            return .json(200, ["name": .string("\(parent)/operations/validate-only"), "done": true, "response": render(service, typed: true)])
        }
        services[id] = service
        return .json(200, startOperation(.update, service: service))
    }

    mutating func delete(_ id: String, _ request: FakeHTTPRequest) throws(CloudRunWire.Failure) -> FakeHTTPResponse {
        var service = try existing(id)
        if let etag = request.query["etag"], !etag.isEmpty, etag != service.etag {
            throw CloudRunWire.Failure(code: 409, message: "The etag \(etag) does not match the service's current etag.", status: "ABORTED")
        }
        service.deleting = true
        service.reconciling = true
        services[id] = service
        return .json(200, startOperation(.delete, service: service))
    }

    func operationName(_ id: String) -> String { "\(parent)/operations/\(id)" }

    mutating func pollOperation(_ id: String) throws(CloudRunWire.Failure) -> FakeHTTPResponse {
        let name = operationName(id)
        guard var operation = operations[name] else { throw CloudRunWire.Failure(code: 404, message: "Operation \(name) not found.") }
        operation.polls += 1
        operations[name] = operation
        if operation.polls >= operation.pollsNeeded { finish(name) }
        return .json(200, render(operations[name] ?? operation))
    }

    /// `:wait` finishes the operation at once (the real one may return before `done`; the
    /// fake need not, and tests stay fast).
    mutating func waitOperation(_ id: String) throws(CloudRunWire.Failure) -> FakeHTTPResponse {
        let name = operationName(id)
        guard operations[name] != nil else { throw CloudRunWire.Failure(code: 404, message: "Operation \(name) not found.") }
        finish(name)
        guard let operation = operations[name] else { throw CloudRunWire.Failure(code: 404, message: "Operation \(name) not found.") }
        return .json(200, render(operation))
    }
}
