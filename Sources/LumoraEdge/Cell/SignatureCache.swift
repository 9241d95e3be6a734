/// The edge's signatures for the current second, per event loop. A signature covers the store,
/// method, path and the second it was made in, so every request for the same path of the same
/// store within a second carries the same one: computing it once saves an HMAC per request on
/// hot API paths. Used only on its own event loop (no lock); emptied when the second changes,
/// and never holds more than `capacity` entries.
final class SignatureCache: @unchecked Sendable {
    private var second: Int64 = 0
    private var entries: [String: String] = [:]
    let capacity: Int

    init(capacity: Int = 4096) {
        self.capacity = capacity
    }

    /// The cached signature for `store method path` made at `timestamp`, else `sign()`'s.
    func signature(store: String, method: String, path: String, timestamp: Int64, sign: () -> String) -> String {
        if timestamp != second {
            entries.removeAll(keepingCapacity: true)
            second = timestamp
        }
        var key = store
        key.reserveCapacity(store.utf8.count + method.utf8.count + path.utf8.count + 2)
        key += "\n"
        key += method
        key += "\n"
        key += path
        if let signature = entries[key] { return signature }
        let signature = sign()
        if entries.count < capacity { entries[key] = signature }
        return signature
    }
}
