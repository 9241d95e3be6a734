import LumoraCore

extension VercelDomainProvider {
    /// Whether the token works and the project is visible to it, in Vercel's words when not.
    public func diagnose() async -> [DoctorCheck] {
        let scope = configuration.team.map { "project \(configuration.project) in team \($0)" } ?? "project \(configuration.project)"
        do {
            let list = try await client.listDomains(limit: 1)
            return [DoctorCheck(name: "vercel token", ok: true, detail: "accepted by \(configuration.baseURL)"),
                    DoctorCheck(name: "vercel project", ok: true, detail: "\(scope) visible (\(list.domains?.count ?? 0) domain(s) on the first page)")]
        } catch let error as LumoraError {
            let tokenRejected = error.code == "vercel_unauthorized"
            if tokenRejected {
                return [DoctorCheck(name: "vercel token", ok: false, detail: "LUMORA_VERCEL_TOKEN was refused: \(error.message)"),
                        DoctorCheck(name: "vercel project", ok: false, detail: "\(scope) not checked: the token was refused")]
            }
            let detail = error.status == .notFound
                ? "\(scope) not found with this token (check LUMORA_VERCEL_PROJECT and LUMORA_VERCEL_TEAM): \(error.message)"
                : "listing the domains of \(scope) failed: \(error.message)"
            return [DoctorCheck(name: "vercel token", ok: true, detail: "accepted by \(configuration.baseURL)"),
                    DoctorCheck(name: "vercel project", ok: false, detail: detail)]
        } catch {
            return [DoctorCheck(name: "vercel token", ok: false, detail: "Vercel could not be asked: \(error)"),
                    DoctorCheck(name: "vercel project", ok: false, detail: "\(scope) not checked")]
        }
    }
}
