import Foundation
import LumoraFakes
import LumoraTestSupport
import Testing

/// `lumora doctor` on the production drivers: names what is missing, quotes what the APIs
/// answered, and passes once everything is in place (against the loopback fakes).
@Suite struct DoctorCommandTests {
    @Test func namesWhatIsMissingAndPassesWhenAllIsThere() async throws {
        try await TestDatabase.withFresh { db in
            let cloudRun = try await FakeCloudRun.start()
            let vercel = try await FakeVercel.start()
            let arguments = ["doctor", "--cell-runtime", "cloudrun", "--domains", "vercel"]
            let base = ["DATABASE_URL": db.url.string, "LUMORA_GCP_PROJECT": "", "LUMORA_GCP_REGION": "", "LUMORA_GCP_TOKEN": "",
                        "LUMORA_VERCEL_TOKEN": "", "LUMORA_VERCEL_PROJECT": "", "GOOGLE_APPLICATION_CREDENTIALS": ""]

            let missing = try await LumoraBinary.run(arguments, environment: base)
            #expect(missing.status == 1)
            #expect(missing.output.contains("✗ cell runtime: LUMORA_GCP_PROJECT is not set"), "\(missing.output)")
            #expect(missing.output.contains("✗ domains: LUMORA_VERCEL_TOKEN is not set"), "\(missing.output)")

            var configured = base
            configured.merge([
                "LUMORA_GCP_PROJECT": cloudRun.project, "LUMORA_GCP_REGION": cloudRun.region, "LUMORA_CLOUDRUN_URL": cloudRun.baseURL,
                "LUMORA_GCP_TOKEN": "test-token", "LUMORA_CELL_IMAGE": "europe-docker.pkg.dev/lumora-test/lumora/lumora",
                "LUMORA_EDGE_SECRET": "doctor-secret", "LUMORA_VERCEL_URL": vercel.baseURL, "LUMORA_VERCEL_TOKEN": "vercel-test-token",
                "LUMORA_VERCEL_PROJECT": vercel.projectID,
            ]) { $1 }
            let healthy = try await LumoraBinary.run(arguments, environment: configured)
            #expect(healthy.status == 0, "\(healthy.output)")
            #expect(healthy.output.contains("✓ cloud run"))
            #expect(healthy.output.contains("✓ vercel project"))

            var wrong = configured
            wrong["LUMORA_GCP_TOKEN"] = "expired-token"
            wrong["LUMORA_VERCEL_PROJECT"] = "prj_unknown"
            let refused = try await LumoraBinary.run(arguments, environment: wrong)
            #expect(refused.status == 1)
            #expect(refused.output.contains("✗ cloud run"), "\(refused.output)")
            #expect(refused.output.contains("✗ vercel project"), "\(refused.output)")

            await cloudRun.shutdown()
            await vercel.shutdown()
        }
    }
}
