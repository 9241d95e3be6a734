import Hummingbird
import Logging
import ServiceLifecycle

/// Runs a role's application until SIGTERM or SIGINT, then shuts it down gracefully — within
/// bounds: in-flight requests get 15 s, and whatever still hangs 5 s after cancellation is
/// abandoned, so a stuck dependency cannot keep a process from stopping.
enum RoleRunner {
    static func run(_ application: some ApplicationProtocol, logger: Logger) async throws {
        var configuration = ServiceGroupConfiguration(
            services: [.init(service: application)], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        configuration.maximumGracefulShutdownDuration = .seconds(15)
        configuration.maximumCancellationDuration = .seconds(5)
        try await ServiceGroup(configuration: configuration).run()
    }
}
