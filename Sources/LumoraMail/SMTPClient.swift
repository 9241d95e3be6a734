import Foundation
import LumoraCore
import Logging
import NIOCore
import NIOPosix
import NIOSSL

/// Sends mail over SMTP, one connection per message: transactional mail is a trickle, and a
/// fresh connection per send means no pool to keep healthy and no state carried between
/// messages. The conversation itself is `SMTPClientStateMachine`'s.
public struct SMTPClient: Sendable {
    public let configuration: SMTPConfiguration
    private let group: any EventLoopGroup
    private let tls: NIOSSLContext?
    private let encoder: MIMEEncoder
    private let logger: Logger

    /// Reads the extra trust roots (if any) now, so a wrong path fails at start-up rather
    /// than at the first mail.
    public init(configuration: SMTPConfiguration, eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
                logger: Logger = Logger(label: "lumora.mail")) throws(LumoraError) {
        try configuration.validate()
        self.configuration = configuration
        group = eventLoopGroup
        encoder = MIMEEncoder()
        self.logger = logger
        guard configuration.security != .none else {
            tls = nil
            return
        }
        var tlsConfiguration = TLSConfiguration.makeClientConfiguration()
        if let path = configuration.trustRootsPEMPath {
            do {
                tlsConfiguration.additionalTrustRoots = [.certificates(try NIOSSLCertificate.fromPEMFile(path))]
            } catch {
                throw LumoraError(.badRequest, code: "invalid_smtp_configuration", message: "cannot read the SMTP trust roots at \(path): \(error)")
            }
        }
        do {
            tls = try NIOSSLContext(configuration: tlsConfiguration)
        } catch {
            throw LumoraError(.internalError, code: "tls_unavailable", message: "cannot set up TLS for SMTP: \(error)")
        }
    }

    /// Sends `message` to its `to` recipients and returns its Message-ID once the server has
    /// accepted it. `envelopeFrom` (where bounces go) defaults to the From address;
    /// `messageID` (`<id@domain>`) to a new one on the From address's domain.
    ///
    /// Throws `SMTPError` when the mail was not sent (`isTransient` says whether to try again),
    /// `LumoraError` when `messageID` is not one.
    @discardableResult
    public func send(_ message: MailMessage, envelopeFrom: MailAddress? = nil, messageID: String? = nil) async throws -> String {
        let encoded = try encoder.encode(message, messageID: messageID)
        let machine = try SMTPClientStateMachine(configuration: configuration, envelopeFrom: envelopeFrom ?? message.from,
                                                 recipients: message.to, message: encoded.bytes)
        do {
            try await converse(machine)
        } catch {
            logger.debug("SMTP send failed", metadata: ["smtp.server": "\(configuration)", "mail.message_id": "\(encoded.messageID)", "error": "\(error)"])
            throw error
        }
        logger.debug("SMTP send accepted", metadata: ["smtp.server": "\(configuration)", "mail.message_id": "\(encoded.messageID)"])
        return encoded.messageID
    }

    /// Checks that the server takes this configuration (connection, TLS, EHLO, AUTH) and says
    /// QUIT where a mail would begin: `lumora doctor`. Throws `SMTPError` as `send` does.
    public func verify() async throws {
        try await converse(try SMTPClientStateMachine(verifying: configuration))
    }

    /// Runs `machine` on a new connection until it succeeds or fails.
    private func converse(_ machine: SMTPClientStateMachine) async throws {
        let loop = group.next()
        let promise = loop.makePromise(of: Void.self)
        let deadline = NIODeadline.now() + TimeAmount(configuration.timeout)
        let configuration = configuration
        let tls = tls
        let logger = logger
        // An IP address is checked against the certificate's IP entries; only names go in SNI.
        let serverHostname = (try? SocketAddress(ipAddress: configuration.host, port: 0)) == nil ? configuration.host : nil
        let bootstrap = ClientBootstrap(group: loop)
            .connectTimeout(TimeAmount(configuration.timeout))
            .channelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let operations = channel.pipeline.syncOperations
                    if configuration.security == .implicitTLS, let tls {
                        try operations.addHandler(try NIOSSLClientHandler(context: tls, serverHostname: serverHostname))
                    }
                    try operations.addHandler(SMTPClientHandler(machine: machine, promise: promise, tls: tls, serverHostname: serverHostname,
                                                                deadline: deadline, timeout: configuration.timeout, logger: logger))
                }
            }
        let channel: any Channel
        do {
            channel = try await bootstrap.connect(host: configuration.host, port: configuration.port).get()
        } catch {
            let failure = SMTPError(kind: .transient, step: .connect, message: "cannot connect to \(configuration.host):\(configuration.port): \(error)")
            promise.fail(failure)
            logger.debug("SMTP connect failed", metadata: ["smtp.server": "\(configuration)", "error": "\(error)"])
            throw failure
        }
        try await withTaskCancellationHandler {
            try await promise.futureResult.get()
        } onCancel: {
            channel.close(promise: nil)
        }
    }
}
