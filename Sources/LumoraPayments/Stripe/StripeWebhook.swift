import Crypto
import Foundation
import LumoraCore

/// Why a webhook delivery was refused. Each case is something different to fix: a missing
/// header is not Stripe calling, a mismatch is the wrong signing secret (or a forgery), a stale
/// timestamp is a replay or a clock that is off.
public enum StripeWebhookError: Error, Sendable, Equatable, CustomStringConvertible {
    case missingHeader
    case malformedHeader(String)
    case noMatchingSignature
    case timestampOutsideTolerance(timestamp: Int, now: Int, tolerance: Int)

    public var description: String {
        switch self {
        case .missingHeader:
            "no Stripe-Signature header"
        case .malformedHeader(let reason):
            "the Stripe-Signature header is malformed: \(reason)"
        case .noMatchingSignature:
            "no v1 signature in Stripe-Signature matches the payload signed with this endpoint's secret"
        case let .timestampOutsideTolerance(timestamp, now, tolerance):
            "the signature's timestamp \(timestamp) is \(abs(now - timestamp)) s from now (\(now)); at most \(tolerance) s are accepted"
        }
    }
}

/// Stripe's webhook signatures: `Stripe-Signature: t=<unix>,v1=<hex>[,v1=<hex>…]`, where v1 is
/// HMAC-SHA256 of `"<t>.<raw body>"` keyed with the endpoint's signing secret.
public enum StripeWebhook {
    /// Checks `payload` — the raw bytes as received, before any JSON parsing — against the
    /// header. Several `v1` appear while a secret is being rolled; any one may match. Other
    /// schemes (`v0`, test-mode extras) are ignored. The signature is checked before the
    /// timestamp, so a forger learns nothing from which check failed.
    public static func verify(payload: some Collection<UInt8>, signatureHeader: String?, secret: String, now: Date,
                              tolerance: TimeInterval = 300) throws(StripeWebhookError) {
        guard let header = signatureHeader?.trimmingCharacters(in: .whitespaces), !header.isEmpty else {
            throw .missingHeader
        }
        var timestamp: Int?
        var signatures: [String] = []
        for element in header.split(separator: ",") {
            let pair = element.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard pair.count == 2 else { throw .malformedHeader("'\(element.prefix(20))' is not a key=value pair") }
            let key = pair[0].trimmingCharacters(in: .whitespaces)
            let value = pair[1].trimmingCharacters(in: .whitespaces)
            switch key {
            case "t":
                guard timestamp == nil else { throw .malformedHeader("more than one timestamp") }
                guard let seconds = Int(value), seconds > 0 else { throw .malformedHeader("the timestamp '\(value.prefix(20))' is not a Unix time") }
                timestamp = seconds
            case "v1":
                signatures.append(value)
            default:
                continue
            }
        }
        guard let timestamp else { throw .malformedHeader("no t= timestamp") }
        guard !signatures.isEmpty else { throw .malformedHeader("no v1= signature") }

        let expected = mac(payload: payload, secret: secret, timestamp: timestamp)
        // Every candidate is compared, so the time taken does not say which one matched.
        var matched = false
        for signature in signatures where Hex.matches(signature, expected) { matched = true }
        guard matched else { throw .noMatchingSignature }

        let current = Int(now.timeIntervalSince1970.rounded(.down))
        let allowed = Int(tolerance.rounded(.down))
        guard abs(current - timestamp) <= allowed else {
            throw .timestampOutsideTolerance(timestamp: timestamp, now: current, tolerance: allowed)
        }
    }

    /// The header Stripe would send for `payload` at `timestamp`.
    public static func signatureHeader(payload: some Collection<UInt8>, secret: String, timestamp: Int) -> String {
        "t=\(timestamp),v1=\(Hex.lowercase(mac(payload: payload, secret: secret, timestamp: timestamp)))"
    }

    static func mac(payload: some Collection<UInt8>, secret: String, timestamp: Int) -> HashedAuthenticationCode<SHA256> {
        var hmac = HMAC<SHA256>(key: SymmetricKey(data: Array(secret.utf8)))
        hmac.update(data: Array("\(timestamp).".utf8))
        hmac.update(data: Array(payload))
        return hmac.finalize()
    }
}
