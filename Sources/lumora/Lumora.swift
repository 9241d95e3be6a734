import ArgumentParser
import CLumoraSystem
import NIOCore
import NIOPosix

/// `lumora`: one binary, a sub-command per role. Commands only parse arguments and start the
/// libraries that do the work.
@main
struct Lumora: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lumora",
        abstract: "A multi-tenant commerce platform: every store on its own domain, from one codebase.",
        subcommands: [DevCommand.self, ManagerCommand.self, EdgeCommand.self, CellCommand.self, MigrateCommand.self, DoctorCommand.self, StoresCommand.self, DomainsCommand.self, JobsCommand.self, DatabasesCommand.self, CellsCommand.self, ReleasesCommand.self, PluginsCommand.self, BenchCommand.self]
    )

    static func main() async {
        // Line-buffered even into a file or pipe: what `lumora dev` prints (URLs, tokens)
        // must be readable while it runs, not when it exits.
        lumora_line_buffer_stdout()
        // The edge forwards every request and does little else: its Swift tasks run on NIO's
        // event loops instead of a second thread pool, so a request does not hop threads (and
        // wake another core) between the socket and the handler. Installed before any task
        // is enqueued; nothing in the edge may block a thread.
        if CommandLine.arguments.dropFirst().first == "edge" {
            NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()
        }
        await main(nil)
    }
}
