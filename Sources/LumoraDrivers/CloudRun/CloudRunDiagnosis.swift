import LumoraCore

extension CloudRunCellRuntime {
    /// Whether this runtime can work at all: a token can be had, the project and region
    /// answer, an image is configured. Each failure names what is missing or quotes Google.
    public func diagnose() async -> [DoctorCheck] {
        var checks: [DoctorCheck] = []
        let source = cloudRun.tokens.source
        do {
            _ = try await cloudRun.tokens.token()
            checks.append(DoctorCheck(name: "google credentials", ok: true, detail: "token obtained (\(source.description))"))
        } catch {
            checks.append(DoctorCheck(name: "google credentials", ok: false,
                                      detail: "no token from \(source.description): \(Self.text(error))"))
        }
        let place = "project \(configuration.project), region \(configuration.region)"
        do {
            let page = try await cloudRun.listServices(pageSize: 1)
            checks.append(DoctorCheck(name: "cloud run", ok: true,
                                      detail: "\(place) reachable at \(cloudRun.baseURL) (\(page.services?.count ?? 0) service(s) on the first page)"))
        } catch {
            checks.append(DoctorCheck(name: "cloud run", ok: false, detail: "listing services in \(place) failed: \(Self.text(error))"))
        }
        if let repository = configuration.imageRepository, !repository.isEmpty {
            checks.append(DoctorCheck(name: "cell image", ok: true, detail: "cells run \(repository):<version>"))
        } else {
            checks.append(DoctorCheck(name: "cell image", ok: false,
                                      detail: "LUMORA_CELL_IMAGE is not set: the image repository cells run (e.g. europe-docker.pkg.dev/<project>/lumora/lumora)"))
        }
        switch configuration.edgeSecret {
        case .plain:
            checks.append(DoctorCheck(name: "edge secret", ok: true, detail: "passed to cells as a plain environment variable (LUMORA_EDGE_SECRET_REF would keep it in Secret Manager)"))
        case .secretManager(let reference):
            checks.append(DoctorCheck(name: "edge secret", ok: true, detail: "cells read Secret Manager secret \(reference) (latest version)"))
        }
        return checks
    }

    static func text(_ error: any Error) -> String {
        (error as? LumoraError)?.message ?? "\(error)"
    }
}
