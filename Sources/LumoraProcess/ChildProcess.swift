import LumoraCore
import CLumoraSystem
import Foundation
import Subprocess
import Synchronization
import SystemPackage
#if canImport(Glibc)
import Glibc
#endif

/// A child process started with `posix_spawn`, with a clean slate: default signal handlers, an
/// empty signal mask, and no descriptors but 0, 1 and 2.
///
/// Foundation's `Process` passes on the spawning thread's signal mask; from a Dispatch or NIO
/// thread that blocks SIGCHLD, so a shell started that way can never reap its own children.
/// Lumora starts long-lived children (PostgreSQL, cells), and wants them to behave as if
/// started from a terminal.
public final class ChildProcess: Sendable {
    public let pid: pid_t
    private let exitSignal = ExitSignal()
    private let status = Mutex<Int32?>(nil)

    public enum Output: Sendable {
        case inherit
        case null
        case file(URL)
        case descriptor(Int32)
    }

    /// Starts `arguments[0]` (looked up in `PATH` when it has no `/`).
    public static func spawn(
        _ arguments: [String],
        environment: [String: String]? = nil,
        standardInput: Int32? = nil,
        standardOutput: Output = .null,
        standardError: Output = .null,
        newProcessGroup: Bool = false
    ) throws -> ChildProcess {
        precondition(!arguments.isEmpty)
        var actions = posix_spawn_file_actions_t()
        var attributes = posix_spawnattr_t()
        posix_spawn_file_actions_init(&actions)
        posix_spawnattr_init(&attributes)
        defer {
            posix_spawn_file_actions_destroy(&actions)
            posix_spawnattr_destroy(&attributes)
        }

        if let standardInput {
            posix_spawn_file_actions_adddup2(&actions, standardInput, 0)
        } else {
            posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        }
        for (descriptor, output) in [(Int32(1), standardOutput), (Int32(2), standardError)] {
            switch output {
            case .inherit: break
            case .null: posix_spawn_file_actions_addopen(&actions, descriptor, "/dev/null", O_WRONLY, 0)
            case .file(let url): posix_spawn_file_actions_addopen(&actions, descriptor, url.path, O_WRONLY | O_CREAT | O_APPEND, 0o644)
            case .descriptor(let fd): posix_spawn_file_actions_adddup2(&actions, fd, descriptor)
            }
        }
        lumora_spawn_file_actions_addclosefrom(&actions, 3)

        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        var allSignals = sigset_t()
        sigfillset(&allSignals)
        posix_spawnattr_setsigdefault(&attributes, &allSignals)
        var flags = Int32(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF)
        if newProcessGroup {
            flags |= Int32(POSIX_SPAWN_SETPGROUP)
            posix_spawnattr_setpgroup(&attributes, 0)
        }
        posix_spawnattr_setflags(&attributes, Int16(flags))

        let environmentStrings = (environment ?? ProcessInfo.processInfo.environment).map { "\($0.key)=\($0.value)" }
        var pid: pid_t = 0
        let result = withCStrings(arguments) { argv in
            withCStrings(environmentStrings) { envp in
                posix_spawnp(&pid, arguments[0], &actions, &attributes, argv, envp)
            }
        }
        guard result == 0 else {
            throw ChildProcessError(command: arguments[0], reason: String(cString: strerror(result)))
        }
        let child = ChildProcess(pid: pid)
        child.reapInBackground()
        return child
    }

    private init(pid: pid_t) {
        self.pid = pid
    }

    /// Runs a one-shot program (initdb, psql, wrk …) to completion and returns its exit status
    /// (128 + the signal when killed by one) and what it wrote to stdout and stderr, together.
    /// Through swift-subprocess: its output is read without blocking a thread, so a caller on a
    /// NIO event loop (the edge at start-up) does not stall the loop's connections. The spawner
    /// above stays for the long-lived children (PostgreSQL, cells), which need a lifeline on stdin
    /// and a process group of their own.
    public static func run(_ arguments: [String], environment: [String: String]? = nil) async throws -> (status: Int32, output: String) {
        precondition(!arguments.isEmpty)
        let executable: Executable = arguments[0].contains("/") ? .path(FilePath(arguments[0])) : .name(arguments[0])
        let variables: Environment = environment.map { values in
            .custom(Dictionary(uniqueKeysWithValues: values.map { (Environment.Key(stringLiteral: $0.key), $0.value) }))
        } ?? .inherit
        let result: ExecutionResult<Void, StringOutput<UTF8>, CombinedErrorOutput>
        do {
            result = try await Subprocess.run(executable, arguments: Arguments(Array(arguments.dropFirst())), environment: variables,
                                              output: .string(limit: 16 << 20), error: .combinedWithOutput)
        } catch {
            throw ChildProcessError(command: arguments[0], reason: "\(error)")
        }
        let status: Int32
        switch result.terminationStatus {
        case .exited(let code): status = Int32(code)
        case .signaled(let signal): status = 128 + Int32(signal)
        }
        return (status, result.standardOutput ?? "")
    }

    public var hasExited: Bool { exitSignal.hasFired }

    /// The exit status (128 + signal number when killed by a signal).
    @discardableResult
    public func waitForExit() async -> Int32 {
        await exitSignal.wait()
        return status.withLock { $0 ?? -1 }
    }

    public func signal(_ signal: Int32) {
        guard !hasExited else { return }
        kill(pid, signal)
    }

    /// Waits for the child on a thread of its own (waitpid blocks), detached so that it
    /// never holds up the process's exit.
    private func reapInBackground() {
        let box = Unmanaged.passRetained(self)
        var thread = pthread_t()
        var attributes = pthread_attr_t()
        pthread_attr_init(&attributes)
        pthread_attr_setdetachstate(&attributes, Int32(PTHREAD_CREATE_DETACHED))
        pthread_attr_setstacksize(&attributes, 64 * 1024)
        let created = pthread_create(&thread, &attributes, { raw in
            let child = Unmanaged<ChildProcess>.fromOpaque(raw!).takeRetainedValue()
            child.reap()
            return nil
        }, box.toOpaque())
        pthread_attr_destroy(&attributes)
        if created != 0 {
            box.release()
            reap()
        }
    }

    private func reap() {
        var raw: Int32 = 0
        while waitpid(pid, &raw, 0) == -1 && errno == EINTR {}
        // WIFEXITED / WEXITSTATUS / WTERMSIG, spelled out (they are macros in C).
        let code: Int32 = (raw & 0x7F) == 0 ? (raw >> 8) & 0xFF : 128 + (raw & 0x7F)
        status.withLock { $0 = code }
        exitSignal.fire()
    }
}

public struct ChildProcessError: Error, CustomStringConvertible {
    public let command: String
    public let reason: String
    public var description: String { "could not start \(command): \(reason)" }
}

private func withCStrings<Result>(_ strings: [String], _ body: (UnsafePointer<UnsafeMutablePointer<CChar>?>) -> Result) -> Result {
    var pointers: [UnsafeMutablePointer<CChar>?] = strings.map { strdup($0) }
    pointers.append(nil)
    defer { pointers.forEach { free($0) } }
    return pointers.withUnsafeBufferPointer { body($0.baseAddress!) }
}
