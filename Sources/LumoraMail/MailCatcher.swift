import Foundation
import Logging
import NIOCore
import NIOPosix
import NIOSSL

/// A real SMTP server that keeps what it receives instead of delivering it: `lumora dev` sends
/// its mail here, and tests read what was sent. It takes EHLO/HELO, STARTTLS (when given a
/// TLS context), AUTH PLAIN and LOGIN (any credentials; the user is recorded), MAIL, RCPT,
/// DATA, RSET, NOOP and QUIT, and keeps the newest `capacity` mails in memory.
public final class MailCatcher: Sendable {
    public let host: String
    /// The port it listens on (the one the system chose when started with port 0).
    public let port: Int
    private let store: MailStore
    private let serverChannel: any Channel

    private init(host: String, port: Int, store: MailStore, serverChannel: any Channel) {
        self.host = host
        self.port = port
        self.store = store
        self.serverChannel = serverChannel
    }

    /// Listens on `host:port` (port 0: any free one). With `tls`, STARTTLS is offered.
    public static func start(host: String = "127.0.0.1", port: Int = 0, tls: NIOSSLContext? = nil,
                             maximumMessageSize: Int = 10 * 1024 * 1024, capacity: Int = 500,
                             eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
                             logger: Logger) async throws -> MailCatcher {
        let store = MailStore(capacity: capacity)
        let channel = try await ServerBootstrap(group: eventLoopGroup)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        MailCatcherHandler(store: store, tls: tls, maximumMessageSize: maximumMessageSize, logger: logger))
                }
            }
            .bind(host: host, port: port)
            .get()
        guard let bound = channel.localAddress?.port else {
            try? await channel.close()
            throw MailCatcherError(message: "the mail catcher's socket has no port")
        }
        logger.debug("mail catcher listening", metadata: ["host": "\(host)", "port": "\(bound)"])
        return MailCatcher(host: host, port: bound, store: store, serverChannel: channel)
    }

    /// The mails kept, oldest first.
    public func messages() -> [CaughtMail] {
        store.mails().mails
    }

    public func removeAll() {
        store.removeAll()
    }

    /// The first kept mail `predicate` accepts, else the first to arrive that it accepts.
    /// Woken by each arrival; `timeout` only bounds a wait for a mail that never comes.
    public func waitForMail(where predicate: (CaughtMail) -> Bool = { _ in true }, timeout: Duration = .seconds(30)) async throws -> CaughtMail {
        let deadline = ContinuousClock.now + timeout
        var seen = 0
        while true {
            try Task.checkCancellation()
            let (mails, lastID, shutDown) = store.mails(after: seen)
            if let match = mails.first(where: predicate) { return match }
            if shutDown { throw MailCatcherError(message: "the mail catcher shut down before a matching mail arrived") }
            seen = lastID
            let store = store
            let arrived = try await withThrowingTaskGroup(of: Bool.self) { group in
                group.addTask {
                    await store.arrival(after: lastID)
                    return true
                }
                group.addTask {
                    try await Task.sleep(until: deadline, clock: .continuous)
                    return false
                }
                defer { group.cancelAll() }
                return try await group.next() ?? false
            }
            if !arrived {
                let caught = store.mails().mails.map { "'\($0.subject)'" }
                throw MailCatcherError(message: "no matching mail within \(timeout); caught \(caught.count)\(caught.isEmpty ? "" : ": " + caught.suffix(10).joined(separator: ", "))")
            }
        }
    }

    /// While refusing, new connections get "421 Service not available" and are closed, as an
    /// SMTP server that is down for maintenance would; connections already open carry on.
    public func setRefusing(_ refusing: Bool) {
        store.setRefusing(refusing)
    }

    /// Stops listening, closes open connections and ends every `waitForMail`.
    public func shutdown() async throws {
        for channel in store.shutDown() { channel.close(promise: nil) }
        try await serverChannel.close()
    }
}

public struct MailCatcherError: Error, Sendable, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}
