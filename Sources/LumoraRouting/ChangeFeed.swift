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
    func notified(channel: String, payload: String) async
    /// Called whenever the feed (re)connects: notifications may have been missed, so reload.
    func resynchronize() async
}

/// One LISTEN connection per process, outside the pool, that hands notifications to its
/// subscribers; reconnects with backoff after losing the connection, and asks every subscriber
/// to resynchronize each time it is listening again (so nothing committed in between is lost).
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
                    for subscriber in self.subscribers { await subscriber.resynchronize() }
                    self.connected.fire()
                    try await withThrowingTaskGroup(of: Void.self) { group in
                        for (channel, sequence) in sequences {
                            group.addTask {
                                for try await notification in sequence {
                                    for subscriber in self.subscribers where subscriber.channels.contains(channel) {
                                        await subscriber.notified(channel: channel, payload: notification.payload)
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
