import Foundation

/// Everything the Vercel fake knows, mutated only under its `Mutex`; the routes of
/// `shared/contracts/vercel-domains.md` as synchronous code.
struct VercelState: Sendable {
    struct Domain: Sendable {
        var name: String
        var apexName: String
        var projectID: String
        var verified: Bool
        var redirect: String?
        var redirectStatusCode: Int?
        var gitBranch: String?
        var createdAt: Int
        var updatedAt: Int
        var challenge: String
    }

    struct DNS: Sendable {
        var txt: Bool
        var pointsToVercel: Bool
    }

    /// A 4xx answer in Vercel's shape `{"error":{"code","message",…}}`.
    struct Failure: Error {
        var status: Int
        var code: String
        var message: String
        var extra: [String: FakeJSON] = [:]

        var response: FakeHTTPResponse {
            var error: [String: FakeJSON] = ["code": .string(code), "message": .string(message)]
            error.merge(extra) { $1 }
            return .json(status, ["error": .object(error)])
        }
    }

    static let rateLimitTotal = 100

    let token: String
    let projectID: String
    let projectName: String
    let teamID: String?
    var domains: [String: Domain] = [:]
    var dns: [String: DNS] = [:]
    var taken: Set<String> = []
    var foreignTeam: Set<String> = []
    var verifiedRoots: Set<String> = []
    var rateLimitedRequests = 0
    var rateLimitReset = Date()
    var requestLog: [String] = []

    // MARK: names

    /// Public suffixes with two labels that the fake knows (enough for tests; Vercel uses
    /// the full public-suffix list).
    static let twoLabelSuffixes: Set<String> = ["co.uk", "org.uk", "ac.uk", "com.au", "net.au", "co.nz", "co.jp", "com.br", "com.mx", "co.za"]

    static func apex(of name: String) -> String {
        let labels = name.split(separator: ".").map(String.init).filter { $0 != "*" }
        let keep = labels.count >= 3 && twoLabelSuffixes.contains(labels.suffix(2).joined(separator: ".")) ? 3 : 2
        return labels.suffix(keep).joined(separator: ".")
    }

    static func isValidDomain(_ name: String) -> Bool {
        guard name.count <= 253 else { return false }
        var labels = name.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        if labels.first == "*" { labels.removeFirst() }
        guard labels.count >= 2, let tld = labels.last, tld.count >= 2,
              tld.allSatisfy(\.isLetter) || tld.hasPrefix("xn--")
        else { return false }
        return labels.allSatisfy { label in
            label.count <= 63 && label.wholeMatch(of: /[a-z0-9]([a-z0-9-]*[a-z0-9])?/) != nil
        }
    }

    func isUnderVerifiedRoot(_ name: String) -> Bool {
        verifiedRoots.contains { name == $0 || name.hasSuffix("." + $0) }
    }

    func dnsRecord(for name: String) -> DNS? {
        dns[name] ?? dns[Self.apex(of: name)]
    }

    // MARK: rendering

    func render(_ domain: Domain) -> FakeJSON {
        var json: FakeJSON = [
            "name": .string(domain.name),
            "apexName": .string(domain.apexName),
            "projectId": .string(domain.projectID),
            "verified": .bool(domain.verified),
            "redirect": domain.redirect.map(FakeJSON.string) ?? .null,
            "redirectStatusCode": domain.redirectStatusCode.map(FakeJSON.int) ?? .null,
            "gitBranch": domain.gitBranch.map(FakeJSON.string) ?? .null,
            "customEnvironmentId": .null,
            "createdAt": .int(domain.createdAt),
            "updatedAt": .int(domain.updatedAt),
        ]
        if !domain.verified {
            json["verification"] = [[
                "type": "TXT", "domain": .string("_vercel.\(domain.apexName)"), "value": .string(domain.challenge),
                "reason": "pending_domain_verification",
            ]]
        }
        return json
    }

    // MARK: routes

    mutating func handle(_ request: FakeHTTPRequest) -> FakeHTTPResponse {
        requestLog.append("\(request.method) \(request.rawTarget)")
        if rateLimitedRequests > 0 {
            rateLimitedRequests -= 1
            return rateLimited()
        }
        do throws(Failure) {
            guard request.bearerToken == token else {
                throw Failure(status: 403, code: "forbidden", message: "Not authorized", extra: ["invalidToken": true])
            }
            // Inside a team the project is invisible without `teamId`; outside, a `teamId`
            // the token is not a member of is refused the same way.
            guard request.query["teamId"] == teamID else {
                throw Failure(status: 403, code: "forbidden", message: "You don't have permission to access this resource (check teamId).")
            }
            return try route(request)
        } catch {
            return error.response
        }
    }

    mutating func rateLimited() -> FakeHTTPResponse {
        let reset = Int(rateLimitReset.timeIntervalSince1970.rounded(.up))
        let wait = max(0, Int(rateLimitReset.timeIntervalSinceNow.rounded(.up)))
        let failure = Failure(status: 429, code: "rate_limited", message: "Rate limit exceeded", extra: [
            "limit": ["remaining": 0, "reset": .int(reset), "resetMs": .int(rateLimitReset.epochMilliseconds), "total": .int(Self.rateLimitTotal)],
        ])
        var response = failure.response
        response.headers += [
            ("Retry-After", String(wait)), ("X-RateLimit-Limit", String(Self.rateLimitTotal)),
            ("X-RateLimit-Remaining", "0"), ("X-RateLimit-Reset", String(reset)),
        ]
        return response
    }

    static func notFound(_ message: String) -> Failure { Failure(status: 404, code: "not_found", message: message) }

    mutating func route(_ request: FakeHTTPRequest) throws(Failure) -> FakeHTTPResponse {
        let s = request.segments
        switch (request.method, s.count) {
        case ("GET", 4) where s[0] == "v6" && s[1] == "domains" && s[3] == "config":
            return config(s[2].lowercased())
        case (_, 4...) where ["v9", "v10"].contains(s[0]) && s[1] == "projects" && s[3] == "domains":
            guard s[2] == projectID || s[2] == projectName else { throw Self.notFound("Project not found.") }
            switch (request.method, s.count) {
            case ("POST", 4): return try add(request)
            case ("GET", 4): return list()
            case ("GET", 5): return .json(200, render(try existing(s[4])))
            case ("DELETE", 5): return try remove(s[4])
            case ("POST", 6) where s[5] == "verify": return try verify(s[4])
            default: break
            }
        default: break
        }
        throw Self.notFound("The requested endpoint \(request.method) \(request.rawTarget) was not found.")
    }

    func existing(_ name: String) throws(Failure) -> Domain {
        guard let domain = domains[name.lowercased()] else {
            throw Self.notFound("The domain \"\(name)\" was not found on project \"\(projectName)\".")
        }
        return domain
    }

    mutating func add(_ request: FakeHTTPRequest) throws(Failure) -> FakeHTTPResponse {
        guard let body = request.json, body.object != nil else {
            throw Failure(status: 400, code: "bad_request", message: "Invalid request: the body must be a JSON object.")
        }
        // Vercel validates bodies against a schema without additional properties.
        let known: Set<String> = ["name", "redirect", "redirectStatusCode", "gitBranch", "customEnvironmentId"]
        if let unknown = body.object?.keys.sorted().first(where: { !known.contains($0) }) {
            throw Failure(status: 400, code: "bad_request", message: "Invalid request: should NOT have additional property `\(unknown)`.")
        }
        guard let rawName = body["name"]?.string else {
            throw Failure(status: 400, code: "bad_request", message: "Invalid request: missing required property `name`.")
        }
        let name = rawName.lowercased()
        guard Self.isValidDomain(name) else {
            throw Failure(status: 400, code: "bad_request", message: "Invalid request: `name` \"\(rawName)\" is not a valid domain name.")
        }
        let redirect = body["redirect"]?.string.flatMap { $0.isEmpty ? nil : $0 }
        let statusCode: Int?
        if let raw = body["redirectStatusCode"], raw != .null {
            guard let code = raw.number, [301, 302, 307, 308].contains(code) else {
                throw Failure(status: 400, code: "bad_request", message: "Invalid request: `redirectStatusCode` must be one of 301, 302, 307, 308.")
            }
            statusCode = code
        } else {
            statusCode = nil
        }
        if foreignTeam.contains(name) {
            throw Failure(status: 403, code: "forbidden", message: "You don't have permission to add the domain \"\(name)\": it belongs to another team.")
        }
        if taken.contains(name) {
            throw Failure(status: 409, code: "domain_taken", message: "The domain \"\(name)\" is already in use by another project.",
                          extra: ["projectId": "prj_someone_else"])
        }
        if let existing = domains[name] {
            throw Failure(status: 409, code: "domain_already_in_use", message: "The domain \"\(name)\" is already assigned to this project.",
                          extra: ["projectId": .string(existing.projectID), "domain": render(existing)])
        }
        let now = Date().epochMilliseconds
        let domain = Domain(
            name: name, apexName: Self.apex(of: name), projectID: projectID, verified: isUnderVerifiedRoot(name),
            redirect: redirect, redirectStatusCode: statusCode ?? (redirect == nil ? nil : 307),
            gitBranch: body["gitBranch"]?.string, createdAt: now, updatedAt: now,
            challenge: "vc-domain-verify=\(name),\(FakeRandom.hex(20))")
        domains[name] = domain
        return .json(200, render(domain))
    }

    func list() -> FakeHTTPResponse {
        let sorted = domains.values.sorted { ($0.createdAt, $0.name) < ($1.createdAt, $1.name) }
        return .json(200, [
            "domains": .array(sorted.map(render)),
            "pagination": ["count": .int(sorted.count), "next": .null, "prev": .null],
        ])
    }

    mutating func remove(_ name: String) throws(Failure) -> FakeHTTPResponse {
        let domain = try existing(name)
        domains[domain.name] = nil
        return .json(200, [:])
    }

    mutating func verify(_ name: String) throws(Failure) -> FakeHTTPResponse {
        var domain = try existing(name)
        if !domain.verified {
            guard dnsRecord(for: domain.name)?.txt == true else {
                throw Failure(
                    status: 400, code: "missing_txt_record",
                    message: "Domain \(domain.name) was added to your project but could not be verified: the TXT record _vercel.\(domain.apexName) with value \(domain.challenge) was not found.")
            }
            domain.verified = true
            domain.updatedAt = Date().epochMilliseconds
            domains[domain.name] = domain
        }
        return .json(200, render(domain))
    }

    func config(_ name: String) -> FakeHTTPResponse {
        let pointing = isUnderVerifiedRoot(name) || dnsRecord(for: name)?.pointsToVercel == true
        let isApex = Self.apex(of: name) == name
        let configuredBy: FakeJSON = pointing ? (isApex ? "A" : "CNAME") : .null
        return .json(200, [
            "configuredBy": configuredBy,
            "acceptedChallenges": [],
            "misconfigured": .bool(!pointing),
            "serviceType": "external",
            "nameservers": [],
            "cnames": pointing && !isApex ? ["cname.vercel-dns.com"] : [],
            "aValues": pointing && isApex ? ["76.76.21.21"] : [],
            "conflicts": [],
        ])
    }
}
