import Logging
import LumoraDatabase
import ServiceLifecycle

/// Keeps the warm pool of pre-made store schemas topped up: after every signup (rung) and
/// every few seconds.
final class WarmPoolKeeper: Service, Sendable {
    let pool: SchemaPool
    let target: Int
    let logger: Logger
    let doorbell = Doorbell()

    init(pool: SchemaPool, target: Int, logger: Logger) {
        self.pool = pool
        self.target = target
        self.logger = logger
    }

    func run() async throws {
        await cancelWhenGracefulShutdown {
            var seen = self.doorbell.rings
            while !Task.isCancelled {
                do {
                    let made = try await self.pool.refill(to: self.target)
                    if made > 0 { self.logger.debug("warm pool refilled", metadata: ["made": "\(made)"]) }
                } catch is CancellationError {
                    return  // shutting down, not failing
                } catch {
                    guard !Task.isCancelled else { return }
                    self.logger.warning("warm pool refill failed", metadata: ["error": "\(error.databaseMessage)"])
                }
                seen = await self.doorbell.wait(after: seen, timeout: .seconds(10))
            }
        }
    }
}
