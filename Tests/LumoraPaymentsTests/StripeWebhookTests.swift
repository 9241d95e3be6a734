import Foundation
import LumoraPayments
import Testing

@Suite struct StripeWebhookTests {
    static let secret = "whsec_test_secret"
    static let payload = Array(#"{"id":"evt_1","type":"checkout.session.completed"}"#.utf8)
    static let now = Date(timeIntervalSince1970: 1_760_000_000)
    static let t = 1_760_000_000

    func verify(_ header: String?, payload: [UInt8] = Self.payload, secret: String = Self.secret, now: Date = Self.now) throws(StripeWebhookError) {
        try StripeWebhook.verify(payload: payload, signatureHeader: header, secret: secret, now: now)
    }

    @Test func aSignatureMadeWithTheSecretVerifies() throws {
        let header = StripeWebhook.signatureHeader(payload: Self.payload, secret: Self.secret, timestamp: Self.t)
        #expect(header.hasPrefix("t=\(Self.t),v1="))
        #expect(header.count == "t=\(Self.t),v1=".count + 64)
        try verify(header)
        // Within the tolerance either way.
        try verify(header, now: Self.now.addingTimeInterval(299))
        try verify(header, now: Self.now.addingTimeInterval(-299))
    }

    @Test func oneMatchingV1AmongSeveralIsEnough() throws {
        let good = StripeWebhook.signatureHeader(payload: Self.payload, secret: Self.secret, timestamp: Self.t)
        let goodV1 = String(good.split(separator: "v1=")[1])
        let other = StripeWebhook.signatureHeader(payload: Self.payload, secret: "whsec_old", timestamp: Self.t)
        let otherV1 = String(other.split(separator: "v1=")[1])
        try verify("t=\(Self.t),v1=\(otherV1),v1=\(goodV1)")
        try verify("t=\(Self.t),v1=\(goodV1),v1=\(otherV1)")
        // Other schemes are ignored, whatever they hold.
        try verify("t=\(Self.t),v0=\(otherV1),v1=\(goodV1)")
        try verify("v1=\(goodV1), t=\(Self.t)")
        // Hex digits in either case spell the same signature.
        try verify("t=\(Self.t),v1=\(goodV1.uppercased())")
    }

    @Test func aStaleOrFutureTimestampIsRefused() {
        let header = StripeWebhook.signatureHeader(payload: Self.payload, secret: Self.secret, timestamp: Self.t)
        #expect(throws: StripeWebhookError.timestampOutsideTolerance(timestamp: Self.t, now: Self.t + 301, tolerance: 300)) {
            try verify(header, now: Self.now.addingTimeInterval(301))
        }
        #expect(throws: StripeWebhookError.timestampOutsideTolerance(timestamp: Self.t, now: Self.t - 301, tolerance: 300)) {
            try verify(header, now: Self.now.addingTimeInterval(-301))
        }
        #expect(throws: StripeWebhookError.timestampOutsideTolerance(timestamp: Self.t, now: Self.t + 61, tolerance: 60)) {
            try StripeWebhook.verify(payload: Self.payload, signatureHeader: header, secret: Self.secret,
                                     now: Self.now.addingTimeInterval(61), tolerance: 60)
        }
    }

    @Test func aTamperedPayloadOrTheWrongSecretDoesNotMatch() {
        let header = StripeWebhook.signatureHeader(payload: Self.payload, secret: Self.secret, timestamp: Self.t)
        var tampered = Self.payload
        tampered[tampered.count - 3] ^= 0x01
        #expect(throws: StripeWebhookError.noMatchingSignature) { try verify(header, payload: tampered) }
        #expect(throws: StripeWebhookError.noMatchingSignature) { try verify(header, payload: Self.payload + [0x20]) }
        #expect(throws: StripeWebhookError.noMatchingSignature) { try verify(header, secret: "whsec_other") }
        // The timestamp is signed too: moving it breaks the signature, not just the freshness.
        let moved = header.replacingOccurrences(of: "t=\(Self.t)", with: "t=\(Self.t + 1)")
        #expect(throws: StripeWebhookError.noMatchingSignature) { try verify(moved) }
        // A forged signature on a stale event reports the forgery, not the age.
        #expect(throws: StripeWebhookError.noMatchingSignature) {
            try verify(header, secret: "whsec_other", now: Self.now.addingTimeInterval(1000))
        }
    }

    @Test func malformedAndMissingHeadersSayWhich() {
        #expect(throws: StripeWebhookError.missingHeader) { try verify(nil) }
        #expect(throws: StripeWebhookError.missingHeader) { try verify("  ") }
        let v1 = String(repeating: "ab", count: 32)
        for header in ["v1=\(v1)", "t=abc,v1=\(v1)", "t=\(Self.t)", "t=\(Self.t),v0=\(v1)", "garbage", "t=\(Self.t),t=\(Self.t),v1=\(v1)", "t=-5,v1=\(v1)"] {
            #expect {
                try verify(header)
            } throws: { error in
                guard case .malformedHeader = error as? StripeWebhookError else { return false }
                return true
            }
        }
        #expect(throws: StripeWebhookError.noMatchingSignature) { try verify("t=\(Self.t),v1=zz") }
        #expect(throws: StripeWebhookError.noMatchingSignature) { try verify("t=\(Self.t),v1=") }
    }
}
