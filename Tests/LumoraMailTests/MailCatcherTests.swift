import Foundation
import LumoraCore
import Logging
import NIOCore
import NIOPosix
import NIOSSL
import Testing
@testable import LumoraMail

/// The client and the catcher over real loopback sockets: plaintext, STARTTLS with AUTH, and a
/// catcher that is down for a while.
@Suite struct MailCatcherTests {
    let logger = Logger(label: "lumora.mail.tests")
    /// Guards against a hang only; nothing here waits for time to pass.
    static let patience: Duration = .seconds(30)

    func withCatcher(tls: NIOSSLContext? = nil, maximumMessageSize: Int = 10 * 1024 * 1024,
                     _ body: (MailCatcher) async throws -> Void) async throws {
        let catcher = try await MailCatcher.start(tls: tls, maximumMessageSize: maximumMessageSize, logger: logger)
        do {
            try await body(catcher)
        } catch {
            try await catcher.shutdown()
            throw error
        }
        try await catcher.shutdown()
    }

    func mail(subject: String = "Your order #1042", to: [String] = ["ann@example.com"]) throws -> MailMessage {
        try MailMessage(from: MailAddress("orders@zoes-cafe.example", displayName: "Zoë’s Café"),
                        to: to.map { try MailAddress($0) },
                        subject: subject,
                        text: "Hallo Ann,\n\ndeine Bestellung ist unterwegs.\n.\nZoë",
                        html: "<p>Hallo Ann,</p>\n<p>deine Bestellung ist <b>unterwegs</b>.</p>",
                        headers: [MailHeader("X-Lumora-Store", "zoes-cafe")])
    }

    func client(_ url: String, trustRoots: String? = nil) throws -> SMTPClient {
        try SMTPClient(configuration: try SMTPConfiguration(url: url, heloName: "cell.lumora.test", timeout: Self.patience, trustRootsPEMPath: trustRoots),
                       logger: logger)
    }

    /// `verify()` (`lumora doctor`) talks to the server up to a mail and sends none; a server
    /// that refuses says so.
    @Test func verifyingSendsNothing() async throws {
        try await withCatcher { catcher in
            let client = try client("smtp://127.0.0.1:\(catcher.port)?tls=none")
            try await client.verify()
            #expect(catcher.messages().isEmpty)
            catcher.setRefusing(true)
            let refused = await #expect(throws: SMTPError.self) { try await client.verify() }
            #expect(refused?.code == 421 && refused?.isTransient == true)
        }
    }

    @Test func plaintextRoundTrip() async throws {
        try await withCatcher { catcher in
            let message = try mail(to: ["ann@example.com", "bob@example.org"])
            let client = try client("smtp://127.0.0.1:\(catcher.port)?tls=none")
            let messageID = try await client.send(message, envelopeFrom: try MailAddress("bounces@lumora.test"))
            let caught = try await catcher.waitForMail(where: { $0.subject == message.subject }, timeout: Self.patience)
            #expect(caught.subject == "Your order #1042")
            #expect(caught.text == message.text)
            #expect(caught.html == message.html)
            #expect(caught.from == CaughtMail.Mailbox(name: "Zoë’s Café", address: "orders@zoes-cafe.example"))
            #expect(caught.to.map(\.address) == ["ann@example.com", "bob@example.org"])
            #expect(caught.envelopeFrom == "bounces@lumora.test")
            #expect(caught.envelopeTo == ["ann@example.com", "bob@example.org"])
            #expect(caught.header("message-id") == messageID)
            #expect(caught.header("X-Lumora-Store") == "zoes-cafe")
            #expect(!caught.usedTLS && caught.authenticatedUser == nil)
            #expect(catcher.messages().map(\.id) == [caught.id])
        }
    }

    @Test func aWaiterIsWokenByTheArrival() async throws {
        try await withCatcher { catcher in
            let client = try client("smtp://127.0.0.1:\(catcher.port)?tls=none")
            try await client.send(try mail(subject: "first"))
            // Registered before the mail it wants exists; the first mail does not match.
            async let second = catcher.waitForMail(where: { $0.subject == "second" }, timeout: Self.patience)
            try await client.send(try mail(subject: "second"))
            #expect(try await second.subject == "second")
            #expect(catcher.messages().map(\.subject) == ["first", "second"])
        }
    }

    @Test func shutdownEndsWaiters() async throws {
        let catcher = try await MailCatcher.start(logger: logger)
        let waiting = Task { try await catcher.waitForMail(where: { _ in true }, timeout: Self.patience) }
        try await catcher.shutdown()
        await #expect(throws: MailCatcherError.self) { try await waiting.value }
    }

    @Test func startTLSAndAuthPlainWithASelfSignedCertificate() async throws {
        let certificate = try SelfSignedCertificate()
        defer { certificate.remove() }
        try await withCatcher(tls: try certificate.serverContext()) { catcher in
            let client = try client("smtp://shop%40zoes-cafe.example:s3cr%2Ft@127.0.0.1:\(catcher.port)", trustRoots: certificate.certificatePath)
            let message = try mail()
            try await client.send(message)
            let caught = try await catcher.waitForMail(where: { _ in true }, timeout: Self.patience)
            #expect(caught.usedTLS)
            #expect(caught.authenticatedUser == "shop@zoes-cafe.example")
            #expect(caught.subject == message.subject && caught.text == message.text && caught.html == message.html)
        }
    }

    @Test func anUntrustedCertificateIsRefused() async throws {
        let certificate = try SelfSignedCertificate()
        defer { certificate.remove() }
        try await withCatcher(tls: try certificate.serverContext()) { catcher in
            // Without the extra trust root the system's roots cannot vouch for it.
            let client = try client("smtp://127.0.0.1:\(catcher.port)")
            do {
                try await client.send(try mail())
                Issue.record("sent over TLS to a server whose certificate is not trusted")
            } catch let error as SMTPError {
                #expect(error.step == .tlsHandshake && error.kind == .transient, "\(error)")
            }
            #expect(catcher.messages().isEmpty)
        }
    }

    @Test func aCatcherWithoutTLSFailsARequiredSTARTTLS() async throws {
        try await withCatcher { catcher in
            let client = try client("smtp://127.0.0.1:\(catcher.port)")
            let error = await #expect(throws: SMTPError.self) { try await client.send(try mail()) }
            #expect(error?.step == .startTLS && error?.kind == .permanent)
        }
    }

    @Test func aRefusingServerIsTransientAndTheSameSendWorksLater() async throws {
        try await withCatcher { catcher in
            let client = try client("smtp://127.0.0.1:\(catcher.port)?tls=none")
            let message = try mail()
            catcher.setRefusing(true)
            do {
                try await client.send(message, messageID: "<order-1042@zoes-cafe.example>")
                Issue.record("a refusing server accepted the mail")
            } catch let error as SMTPError {
                #expect(error.kind == .transient && error.step == .greeting && error.code == 421, "\(error)")
            }
            #expect(catcher.messages().isEmpty)
            catcher.setRefusing(false)
            try await client.send(message, messageID: "<order-1042@zoes-cafe.example>")
            let caught = try await catcher.waitForMail(where: { _ in true }, timeout: Self.patience)
            #expect(caught.header("Message-ID") == "<order-1042@zoes-cafe.example>")
            #expect(catcher.messages().count == 1)
        }
    }

    @Test func aServerThatIsNotThereIsTransient() async throws {
        // A port that was just free: bound, noted, closed.
        let catcher = try await MailCatcher.start(logger: logger)
        let port = catcher.port
        try await catcher.shutdown()
        let client = try client("smtp://127.0.0.1:\(port)?tls=none")
        let error = await #expect(throws: SMTPError.self) { try await client.send(try mail()) }
        #expect(error?.step == .connect && error?.kind == .transient)
    }

    @Test func tooLargeForTheCatcherIsPermanent() async throws {
        try await withCatcher(maximumMessageSize: 300) { catcher in
            let client = try client("smtp://127.0.0.1:\(catcher.port)?tls=none")
            let error = await #expect(throws: SMTPError.self) { try await client.send(try mail()) }
            #expect(error?.kind == .permanent && error?.step == .mailFrom)
        }
    }
}

/// A certificate for 127.0.0.1 made by the openssl CLI in a temporary directory.
struct SelfSignedCertificate {
    let directory: URL
    var certificatePath: String { directory.appendingPathComponent("cert.pem").path }
    var keyPath: String { directory.appendingPathComponent("key.pem").path }

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("lumora-mail-tls-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        process.arguments = ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1",
                             "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", keyPath, "-out", certificatePath]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw MailCatcherError(message: "openssl req exited with \(process.terminationStatus)")
        }
    }

    func serverContext() throws -> NIOSSLContext {
        let configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: try NIOSSLCertificate.fromPEMFile(certificatePath).map { .certificate($0) },
            privateKey: .privateKey(try NIOSSLPrivateKey(file: keyPath, format: .pem)))
        return try NIOSSLContext(configuration: configuration)
    }

    func remove() {
        try? FileManager.default.removeItem(at: directory)
    }
}
