import LumoraHTTP

/// The edge's signatures of reads for the current second, per event loop. A read's signature
/// covers the store, method, target, visitor, `Authorization` and the second it was made in,
/// so every such request within a second carries the same one: computing it once saves an HMAC
/// per request on hot API paths. Writes are never cached (each has its own nonce). Used only on
/// its own event loop (no lock: the fast path holds it in a `NIOLoopBoundBox`); emptied when the
/// second changes, and never holds more than `capacity` entries.
final class SignatureCache {
    private var second: Int64 = 0
    private var entries: [String: String] = [:]
    let capacity: Int

    init(capacity: Int = 4096) {
        self.capacity = capacity
    }

    /// The cached signature for `parts` (a read: no nonce, no body), else `sign()`'s.
    func signature(_ parts: StoreRequestSigner.Parts, sign: () -> String) -> String {
        guard parts.nonce == nil, parts.bodyDigest == nil else { return sign() }
        if parts.timestamp != second {
            entries.removeAll(keepingCapacity: true)
            second = parts.timestamp
        }
        var key = parts.store
        key.reserveCapacity(parts.store.utf8.count + parts.method.utf8.count + parts.target.utf8.count
                            + (parts.visitor?.utf8.count ?? 0) + (parts.authorization?.utf8.count ?? 0) + (parts.idempotencyKey?.utf8.count ?? 0) + 6)
        // Appended one by one: an array of the parts would be an allocation per request.
        key += "\n"
        key += parts.method
        key += "\n"
        key += parts.target
        key += "\n"
        key += parts.visitor ?? ""
        key += "\n"
        key += parts.authorization ?? ""
        key += "\n"
        key += parts.idempotencyKey ?? ""
        if let signature = entries[key] { return signature }
        let signature = sign()
        if entries.count < capacity { entries[key] = signature }
        return signature
    }
}
