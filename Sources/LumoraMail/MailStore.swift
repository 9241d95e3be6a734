import Foundation
import NIOCore
import Synchronization

/// What the catcher holds between connections: the newest mails, whether it is refusing, who
/// waits for the next arrival, and the open connections (to close at shutdown).
final class MailStore: Sendable {
    private struct State {
        var mails: [CaughtMail] = []
        var lastID = 0
        var refusing = false
        var shutDown = false
        var waiters: [Int: CheckedContinuation<Void, Never>] = [:]
        var nextWaiter = 0
        var channels: [ObjectIdentifier: any Channel] = [:]
    }

    let capacity: Int
    private let state = Mutex(State())

    init(capacity: Int) {
        self.capacity = capacity
    }

    var isRefusing: Bool { state.withLock { $0.refusing } }

    func setRefusing(_ refusing: Bool) {
        state.withLock { $0.refusing = refusing }
    }

    func add(envelope: SMTPServerSession.Envelope, data: [UInt8]) -> CaughtMail {
        let parsed = MIMEParser.parse(data)
        let raw = String(decoding: data, as: UTF8.self)
        let (mail, waiters) = state.withLock { state in
            state.lastID += 1
            let mail = CaughtMail(id: state.lastID, envelope: envelope, parsed: parsed, raw: raw, receivedAt: Date())
            state.mails.append(mail)
            if state.mails.count > capacity { state.mails.removeFirst(state.mails.count - capacity) }
            defer { state.waiters = [:] }
            return (mail, Array(state.waiters.values))
        }
        for waiter in waiters { waiter.resume() }
        return mail
    }

    /// Oldest first.
    func mails(after id: Int = 0) -> (mails: [CaughtMail], lastID: Int, shutDown: Bool) {
        state.withLock { state in (state.mails.filter { $0.id > id }, state.lastID, state.shutDown) }
    }

    func removeAll() {
        state.withLock { $0.mails = [] }
    }

    /// Returns once a mail newer than `id` has arrived, the store shuts down, or the task is
    /// cancelled.
    func arrival(after id: Int) async {
        let waiter = state.withLock { state in
            state.nextWaiter += 1
            return state.nextWaiter
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let now = state.withLock { state -> Bool in
                    if state.lastID > id || state.shutDown || Task.isCancelled { return true }
                    state.waiters[waiter] = continuation
                    return false
                }
                if now { continuation.resume() }
            }
        } onCancel: {
            state.withLock { $0.waiters.removeValue(forKey: waiter) }?.resume()
        }
    }

    /// False once shut down: the connection is to be closed.
    func register(_ channel: any Channel) -> Bool {
        state.withLock { state in
            guard !state.shutDown else { return false }
            state.channels[ObjectIdentifier(channel)] = channel
            return true
        }
    }

    func unregister(_ channel: any Channel) {
        _ = state.withLock { $0.channels.removeValue(forKey: ObjectIdentifier(channel)) }
    }

    /// Wakes every waiter and hands back the open connections.
    func shutDown() -> [any Channel] {
        let (waiters, channels) = state.withLock { state in
            state.shutDown = true
            defer {
                state.waiters = [:]
                state.channels = [:]
            }
            return (Array(state.waiters.values), Array(state.channels.values))
        }
        for waiter in waiters { waiter.resume() }
        return channels
    }
}
