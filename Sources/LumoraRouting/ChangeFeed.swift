import LumoraDatabase
import Logging
import LumoraCore
import PostgresNIO
import ServiceLifecycle

/// Something that keeps an in-memory copy of database state fresh from notifications.
public protocol ChangeSubscriber: Sendable {
    /// The channels it wants.
    var channels: [String] { get }
    /// A notification on one of its channels (delivered only after the change committed).
    /// Throwing says the change could not be taken in (its read failed): the feed then
    /// resynchronizes this subscriber, so a failed read never leaves its copy behind for good.
    func notified(channel: String, payload: String) async throws
    /// Called whenever the feed (re)connects: notifications may have been missed, so reload.
    /// The feed retries one that throws, backing off, until it succeeds.
    func resynchronize() async throws
}

/// One LISTEN connection per process, outside the pool, that hands notifications to its
/// subscribers; reconnects with backoff after losing the connection, and asks every subscriber
/// to resynchronize each time it is listening again (so nothing committed in between is lost).
/// A subscriber that cannot take a notification in (the database refused its read: a pool
/// out of connections on a crowded server) is resynchronized until that succeeds, for the
/// same reason: the notification is spent, and nothing else would bring the change.
public final class ChangeFeed: Service, Sendable {
    private let url: DatabaseURL
    private let subscribers: [any ChangeSubscriber]
    private let logger: Logger
    private let connected = ExitSignal()

    public init(url: DatabaseURL, subscribers: [any ChangeSubscriber], logger: Logger) {
        var url = url
        url.searchPath = nil
        url.applicationName = "lumora-change-feed"
        self.url = url
        self.subscribers = subscribers
        self.logger = logger
    }

    /// Returns once the feed has listened and every subscriber has loaded at least once.
    public func waitUntilListening() async {
        await connected.wait()
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown { await self.listenUntilCancelled() }
    }

    private func listenUntilCancelled() async {
        let channels = Array(Set(subscribers.flatMap(\.channels))).sorted()
        var backoff = Duration.milliseconds(100)
        while !Task.isCancelled {
            let attempt = ContinuousClock.now
            do {
                let connection = try await PostgresConnection.connect(
                    configuration: try url.connectionConfiguration(), id: 0, logger: logger)
                defer { Task { try? await connection.close() } }
                try await listen(on: connection, channels: channels[...], sequences: []) { sequences in
                    for subscriber in self.subscribers { await self.resynchronize(subscriber) }
                    self.connected.fire()
                    try await withThrowingTaskGroup(of: Void.self) { group in
                        for (channel, sequence) in sequences {
                            group.addTask {
                                for try await notification in sequence {
                                    for subscriber in self.subscribers where subscriber.channels.contains(channel) {
                                        await self.deliver(notification.payload, on: channel, to: subscriber)
                                    }
                                }
                            }
                        }
                        try await group.waitForAll()
                    }
                }
            } catch {
                guard !Task.isCancelled else { break }
                logger.warning("change feed lost its connection; reconnecting", metadata: ["error": "\(error.databaseMessage)", "retry_in": "\(backoff)"])
            }
            // A connection that lived a while earns a quick reconnect; flapping backs off.
            backoff = ContinuousClock.now - attempt > .seconds(30) ? .milliseconds(100) : min(backoff * 2, .seconds(5))
            try? await Task.sleep(for: backoff)
        }
    }

    private func deliver(_ payload: String, on channel: String, to subscriber: any ChangeSubscriber) async {
        do {
            try await subscriber.notified(channel: channel, payload: payload)
        } catch {
            logger.warning("a change could not be read; reloading everything", metadata: [
                "channel": "\(channel)", "payload": "\(payload)", "error": "\(error.databaseMessage)"])
            await resynchronize(subscriber)
        }
    }

    /// Until it succeeds (or the feed stops), backing off: the database may be out of
    /// connections for a while. Later notifications wait on this channel meanwhile; what they
    /// name is in the reload.
    private func resynchronize(_ subscriber: any ChangeSubscriber) async {
        var backoff = Duration.milliseconds(100)
        while !Task.isCancelled {
            do {
                try await subscriber.resynchronize()
                return
            } catch {
                logger.warning("a subscriber could not reload; retrying", metadata: ["error": "\(error.databaseMessage)", "retry_in": "\(backoff)"])
            }
            try? await Task.sleep(for: backoff)
            backoff = min(backoff * 2, .seconds(5))
        }
    }

    private func listen(
        on connection: PostgresConnection,
        channels: ArraySlice<String>,
        sequences: [(String, PostgresNotificationSequence)],
        body: @escaping @Sendable ([(String, PostgresNotificationSequence)]) async throws -> Void
    ) async throws {
        guard let channel = channels.first else {
            return try await body(sequences)
        }
        try await connection.listen(on: channel) { sequence in
            try await listen(on: connection, channels: channels.dropFirst(), sequences: sequences + [(channel, sequence)], body: body)
        }
    }
}
