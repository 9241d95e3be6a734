import LumoraProcess
import CLumoraSystem
import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A running `postgres` under its watchdog shell (see ``LocalPostgres``).
final class ServerProcess: Sendable {
    private let process: ChildProcess
    /// Our end of the watchdog's stdin; -1 once closed.
    private let lifeline: Mutex<Int32>
    private let logFile: URL
    private let dataDirectory: URL

    /// The watchdog: start the server, and when our stdin (the lifeline) reaches EOF, send it
    /// SIGINT (fast shutdown). `read` is a shell builtin, so killing the subshell stops it too.
    private static let script = #"""
        log="$1"; cleanup="$2"; shift 2
        exec 3<&0
        "$@" </dev/null 3<&- >>"$log" 2>&1 &
        server=$!
        ( while read -r _ <&3; do :; done; kill -INT "$server" 2>/dev/null ) &
        watcher=$!
        wait "$server"; status=$?
        kill "$watcher" 2>/dev/null
        if [ -n "$cleanup" ]; then rm -rf "$cleanup"; fi
        exit $status
        """#

    private init(process: ChildProcess, lifeline: Int32, logFile: URL, dataDirectory: URL) {
        self.process = process
        self.lifeline = Mutex(lifeline)
        self.logFile = logFile
        self.dataDirectory = dataDirectory
    }

    static func launch(
        binaries: PostgresBinaries, account: ServerAccount, dataDirectory: URL, port: Int,
        ephemeral: Bool, removeOnExit: URL?
    ) throws -> ServerProcess {
        var settings = [
            "listen_addresses=127.0.0.1", "port=\(port)", "unix_socket_directories=",
            "shared_buffers=128MB",
            // A store moves to another database by logical replication (SchemaReplication):
            // each move holds a slot and a walsender here and an apply worker where it goes,
            // plus a table-sync worker per table while the first copy runs.
            "wal_level=logical", "max_replication_slots=32", "max_wal_senders=32",
            "max_worker_processes=24", "max_logical_replication_workers=16",
        ]
        if ephemeral {
            // A test run's one cluster serves every suite at once, each with its own pools
            // (cells, edges, managers): 300 slots ran out on a clean CI run (53300), and a full
            // run peaked at 632 backends on a 2-core AMD EPYC (2026-12-04) — a slower machine
            // overlaps more suites, so the headroom is generous (idle slots cost little).
            settings += ["max_connections=2000", "fsync=off", "synchronous_commit=off", "full_page_writes=off"]
        } else {
            settings += ["max_connections=300"]
        }
        let server = account.prefix + [binaries.postgres.path, "-D", dataDirectory.path]
            + settings.flatMap { ["-c", $0] }

        let logFile = dataDirectory.deletingLastPathComponent().appendingPathComponent(dataDirectory.lastPathComponent + ".log")
        // Only the watchdog may hold the lifeline: close-on-exec keeps it out of every other
        // child, or the server would outlive us for as long as they live.
        var fds: [Int32] = [0, 0]
        guard lumora_pipe_cloexec(&fds) == 0 else {
            throw LocalPostgresError.commandFailed("pipe", status: errno, output: "")
        }
        defer { close(fds[0]) }
        let process: ChildProcess
        do {
            process = try ChildProcess.spawn(
                ["/bin/sh", "-c", script, "lumora-postgres", logFile.path, removeOnExit?.path ?? ""] + server,
                standardInput: fds[0],
                // Its own process group: a Ctrl-C in the terminal reaches Lumora, which then
                // stops the server in order, instead of hitting both at once.
                newProcessGroup: true)
        } catch {
            close(fds[1])
            throw error
        }
        return ServerProcess(process: process, lifeline: fds[1], logFile: logFile, dataDirectory: dataDirectory)
    }

    /// Waits for `postmaster.pid` to say "ready" on our port, or for the server to give up.
    func waitUntilReady(port: Int, timeout: Duration = .seconds(60)) async throws {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        var interval = Duration.milliseconds(5)
        while clock.now < deadline {
            if process.hasExited {
                throw LocalPostgresError.serverDidNotStart(logTail())
            }
            if let status = PostmasterStatus.read(dataDirectory), status.port == port, status.isReady {
                return
            }
            // Polling a file the server rewrites; there is no event to wait on.
            try await Task.sleep(for: interval)
            interval = min(interval * 2, .milliseconds(100))
        }
        throw LocalPostgresError.serverDidNotStart(logTail())
    }

    /// Closes the lifeline and waits for the server (and the watchdog) to exit.
    func stop() async {
        lifeline.withLock { fd in
            if fd >= 0 { close(fd) }
            fd = -1
        }
        await process.waitForExit()
    }

    func logTail(lines: Int = 15) -> String {
        guard let text = try? String(contentsOf: logFile, encoding: .utf8) else { return "(no log at \(logFile.path))" }
        return text.split(separator: "\n").suffix(lines).joined(separator: "\n")
    }
}
