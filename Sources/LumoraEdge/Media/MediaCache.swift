import LumoraMedia
import NIOCore
import Synchronization

/// The media files an edge served lately, in memory up to a budget of bytes; the least
/// recently used go first. Files never change, so nothing is ever stale: entries are only
/// evicted. Files larger than `largestFile` are not kept (they would push out many small ones).
final class MediaCache: Sendable {
    private struct Entry {
        let bytes: ByteBuffer
        var lastUse: UInt64
        /// The fast path's serialised head of a plain 200 for this file, made once.
        var okHead: ByteBuffer?
    }

    private struct State {
        var entries: [MediaKey: Entry] = [:]
        var size = 0
        var tick: UInt64 = 0
    }

    let budget: Int
    let largestFile: Int
    private let state = Mutex(State())

    init(budget: Int, largestFile: Int = 2 * 1_048_576) {
        self.budget = budget
        self.largestFile = min(largestFile, budget)
    }

    func get(_ key: MediaKey) -> ByteBuffer? {
        lookup(key)?.bytes
    }

    /// The file and, once the fast path has kept one, its serialised 200 head.
    func lookup(_ key: MediaKey) -> (bytes: ByteBuffer, okHead: ByteBuffer?)? {
        state.withLock { state in
            guard var entry = state.entries[key] else { return nil }
            state.tick += 1
            entry.lastUse = state.tick
            state.entries[key] = entry
            return (entry.bytes, entry.okHead)
        }
    }

    func keepOKHead(_ key: MediaKey, _ head: ByteBuffer) {
        state.withLock { state in state.entries[key]?.okHead = head }
    }

    func put(_ key: MediaKey, _ bytes: ByteBuffer) {
        guard bytes.readableBytes <= largestFile else { return }
        state.withLock { state in
            guard state.entries[key] == nil else { return }
            state.tick += 1
            state.entries[key] = Entry(bytes: bytes, lastUse: state.tick, okHead: nil)
            state.size += bytes.readableBytes
            // Evict the oldest eighth at a time: one sort per many insertions, not per insertion.
            while state.size > budget {
                let oldest = state.entries.sorted { $0.value.lastUse < $1.value.lastUse }.prefix(max(1, state.entries.count / 8))
                for (key, entry) in oldest {
                    state.entries[key] = nil
                    state.size -= entry.bytes.readableBytes
                }
            }
        }
    }

    var byteCount: Int { state.withLock { $0.size } }
}
