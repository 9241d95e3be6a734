import Foundation
import LumoraCore
import LumoraDrivers
import LumoraFakes
import Testing

@Suite struct CloudRunConfigurationTests {
    static let base = [
        "LUMORA_GCP_PROJECT": "p", "LUMORA_GCP_REGION": "europe-west1", "DATABASE_URL": "postgres://u@db/lumora",
        "LUMORA_EDGE_SECRET": "s",
    ]

    @Test func defaultsAndFallbacks() throws {
        let configuration = try CloudRunConfiguration.fromEnvironment(Self.base)
        #expect(configuration.baseURL == "https://run.googleapis.com")
        #expect(configuration.credentials == .metadataServer(baseURL: "http://metadata.google.internal"))
        #expect(configuration.cellDatabaseURL.host == "db")
        #expect(configuration.edgeSecret == .plain("s"))
        #expect(configuration.imageRepository == nil)

        var env = Self.base
        env["LUMORA_GCP_TOKEN"] = "tok"
        env["LUMORA_EDGE_SECRET_REF"] = "edge-secret"
        env["LUMORA_CELL_DATABASE_URL"] = "postgres://cell@10.0.0.5/lumora"
        let other = try CloudRunConfiguration.fromEnvironment(env)
        #expect(other.credentials == .token("tok"))
        #expect(other.edgeSecret == .secretManager("edge-secret"))
        #expect(other.cellDatabaseURL.host == "10.0.0.5")
    }

    @Test(arguments: ["LUMORA_GCP_PROJECT", "LUMORA_GCP_REGION", "DATABASE_URL", "LUMORA_EDGE_SECRET"])
    func aMissingVariableIsNamed(_ name: String) throws {
        var env = Self.base
        env[name] = nil
        let error = #expect(throws: LumoraError.self) { try CloudRunConfiguration.fromEnvironment(env) }
        let expected = name == "DATABASE_URL" ? "LUMORA_CELL_DATABASE_URL" : name
        #expect(error?.message.contains(expected) == true, "\(String(describing: error))")
    }

    @Test func anUnreadableKeyFileIsNamed() throws {
        var env = Self.base
        env["GOOGLE_APPLICATION_CREDENTIALS"] = "/nonexistent/key.json"
        let error = #expect(throws: LumoraError.self) { try CloudRunConfiguration.fromEnvironment(env) }
        #expect(error?.message.contains("/nonexistent/key.json") == true)
    }

    @Test func vercelConfigurationNamesWhatIsMissing() throws {
        let error = #expect(throws: LumoraError.self) { try VercelConfiguration.fromEnvironment(["LUMORA_VERCEL_TOKEN": "t"]) }
        #expect(error?.message.contains("LUMORA_VERCEL_PROJECT") == true)
        let configuration = try VercelConfiguration.fromEnvironment([
            "LUMORA_VERCEL_TOKEN": "t", "LUMORA_VERCEL_PROJECT": "prj", "LUMORA_VERCEL_TEAM": "team_1",
        ])
        #expect(configuration.baseURL == "https://api.vercel.com")
        #expect(configuration.team == "team_1")
    }
}

@Suite struct CloudRunDoctorTests {
    @Test func aHealthySetupPassesEveryCheck() async throws {
        try await CloudRunHarness.with { h in
            let checks = await (try h.runtime()).diagnose()
            #expect(checks.allSatisfy { $0.ok }, "\(checks)")
            #expect(checks.map(\.name).contains("cloud run"))
        }
    }

    @Test func aBadTokenAndAnUnknownProjectAreReportedInGooglesWords() async throws {
        try await CloudRunHarness.with { h in
            let badToken = try h.runtime(try CloudRunHarness.configuration(h.fake, credentials: .token("wrong")))
            let checks = await badToken.diagnose()
            let cloudRun = try #require(checks.first { $0.name == "cloud run" })
            #expect(!cloudRun.ok)
            #expect(cloudRun.detail.contains("invalid authentication credentials"), "\(cloudRun.detail)")

            let unknown = try h.runtime(try CloudRunHarness.configuration(h.fake, project: "nope", imageRepository: nil))
            let more = await unknown.diagnose()
            let project = try #require(more.first { $0.name == "cloud run" })
            #expect(!project.ok)
            #expect(project.detail.contains("project nope"))
            #expect(project.detail.contains("Permission denied"))
            let image = try #require(more.first { $0.name == "cell image" })
            #expect(!image.ok && image.detail.contains("LUMORA_CELL_IMAGE"))
        }
    }

    @Test func unobtainableCredentialsAreReported() async throws {
        try await CloudRunHarness.with { h in
            // Something answers where the metadata server should be, but not with a token.
            let runtime = try h.runtime(try CloudRunHarness.configuration(h.fake, credentials: .metadataServer(baseURL: h.fake.baseURL)))
            let checks = await runtime.diagnose()
            let credentials = try #require(checks.first { $0.name == "google credentials" })
            #expect(!credentials.ok)
            #expect(credentials.detail.contains("metadata server"), "\(credentials.detail)")
            #expect(credentials.detail.contains("404"), "\(credentials.detail)")
        }
    }
}
