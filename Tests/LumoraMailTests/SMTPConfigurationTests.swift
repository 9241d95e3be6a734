import LumoraCore
import Testing
@testable import LumoraMail

@Suite struct SMTPConfigurationTests {
    @Test func submissionWithSTARTTLS() throws {
        let configuration = try SMTPConfiguration(url: "smtp://shop%40example.com:p%40ss%3Aw%2Frd@mail.example.com")
        #expect(configuration.security == .startTLS)
        #expect(configuration.host == "mail.example.com" && configuration.port == 587)
        #expect(configuration.credentials == .init(user: "shop@example.com", password: "p@ss:w/rd"))
        #expect(configuration.description == "smtp://shop@example.com:****@mail.example.com:587")
        #expect(!configuration.isLoopback)
        #expect(try SMTPConfiguration(url: "smtp://u:100%25+%20sure@mail.example.com").credentials?.password == "100%+ sure")
    }

    @Test func implicitTLSAndPorts() throws {
        let implicit = try SMTPConfiguration(url: "smtps://u:p@smtp.example.com")
        #expect(implicit.security == .implicitTLS && implicit.port == 465)
        #expect(try SMTPConfiguration(url: "SMTP://smtp.example.com:2525").port == 2525)
        #expect(try SMTPConfiguration(url: "smtp://smtp.example.com?tls=implicit").security == .implicitTLS)
    }

    @Test func plaintextToALoopbackCatcher() throws {
        let catcher = try SMTPConfiguration(url: "smtp://127.0.0.1:1025?tls=none")
        #expect(catcher.security == .none && catcher.port == 1025 && catcher.credentials == nil && catcher.isLoopback)
        #expect(catcher.description == "smtp://127.0.0.1:1025?tls=none")
        #expect(try SMTPConfiguration(url: "smtp://dev:dev@localhost:1025?tls=none").credentials?.user == "dev")
        #expect(try SMTPConfiguration(url: "smtp://[::1]:1025?tls=none").isLoopback)
    }

    @Test func badURLsSayWhy() {
        let cases: [(String, String)] = [
            ("http://mail.example.com", "scheme"),
            ("smtp://", "no host"),
            ("smtp://u:p@mail.example.com?tls=none", "plaintext"),
            ("smtp://u:p@127.example.com?tls=none", "plaintext"),
            ("smtps://mail.example.com?tls=none", "smtps"),
            ("smtp://mail.example.com?tls=maybe", "tls=maybe"),
            ("smtp://mail.example.com?secure=1", "unknown parameter"),
            ("smtp://mail.example.com/inbox", "no path"),
            ("smtp://mail.example.com:0", "out of range"),
            ("not a url at all", "expected"),
        ]
        for (url, reason) in cases {
            do {
                _ = try SMTPConfiguration(url: url)
                Issue.record("\(url) was accepted")
            } catch {
                #expect(error.code == "invalid_smtp_url", "\(url)")
                #expect(error.message.contains(reason), "\(url): \(error.message)")
            }
        }
    }

    @Test func heloNamesThatWouldBreakACommandAreRefused() {
        for name in ["two words", "x\r\nMAIL FROM:<a@b>", "", "zoë.example"] {
            #expect(throws: LumoraError.self, "\(name)") { try SMTPConfiguration(url: "smtp://mail.example.com", heloName: name) }
        }
        #expect(throws: Never.self) { try SMTPConfiguration(url: "smtp://mail.example.com", heloName: "[127.0.0.1]") }
    }
}
