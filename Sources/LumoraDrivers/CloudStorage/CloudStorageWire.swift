import Foundation
import LumoraCore

// The Cloud Storage JSON API v1 shapes Lumora reads (camelCase JSON; int64 and uint64 fields
// arrive as strings), and Google's naming rules for buckets. Only the fields Lumora uses are
// modelled, each optional so an answer without one still decodes.

/// An object resource (`storage#object`), as objects.insert answers it and objects.list
/// lists it.
struct CloudStorageObject: Decodable, Sendable {
    var name: String?
    var bucket: String?
    var generation: GoogleInt64?
    /// uint64 as a string.
    var size: String?
    var contentType: String?
    /// Base64 of the MD5 digest; absent for composite objects.
    var md5Hash: String?
}

/// One page of objects.list (`storage#objects`). `items` is left out when the page is empty.
struct CloudStorageObjectList: Decodable, Sendable {
    var items: [CloudStorageObject]?
    var nextPageToken: String?
}

/// The JSON API's error body, older than AIP-193: no `status`, but `errors[].reason`
/// (`notFound`, `conditionNotMet`, `authError`, `backendError`, …).
/// `{"error":{"code":412,"message":"…","errors":[{"domain":"global","reason":"conditionNotMet","message":"…"}]}}`
struct CloudStorageErrorReply: Decodable {
    struct Detail: Decodable {
        let code: Int?
        let message: String?
        let errors: [Item]?
    }

    struct Item: Decodable {
        let domain: String?
        let reason: String?
        let message: String?
    }

    let error: Detail

    var reason: String? { error.errors?.first { $0.reason?.isEmpty == false }?.reason }
}

/// Google's bucket naming rules (cloud.google.com/storage/docs/buckets#naming), checked
/// before any request so a misspelt bucket fails at start-up with the rule it breaks.
public enum CloudStorageBucketName {
    /// Why `name` is not a usable bucket name, or nil when it is.
    public static func problem(_ name: String) -> String? {
        let bytes = Array(name.utf8)
        let allowed = bytes.allSatisfy { isLowercaseLetterOrDigit($0) || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: ".") }
        guard allowed else { return "only lowercase letters, digits, '-', '_' and '.' are allowed" }
        guard let first = bytes.first, let last = bytes.last, isLowercaseLetterOrDigit(first), isLowercaseLetterOrDigit(last) else {
            return "it must start and end with a letter or a digit"
        }
        let components = name.split(separator: ".", omittingEmptySubsequences: false)
        if components.count == 1 {
            guard (3...63).contains(bytes.count) else { return "it must be 3 to 63 characters long (it is \(bytes.count))" }
        } else {
            guard (3...222).contains(bytes.count) else { return "a dotted name must be 3 to 222 characters long (it is \(bytes.count))" }
            // Google: each dot-separated part at most 63; an empty part ("..") is not a DNS label.
            guard components.allSatisfy({ (1...63).contains($0.utf8.count) }) else {
                return "each dot-separated part must be 1 to 63 characters long"
            }
        }
        if components.count == 4, components.allSatisfy({ !$0.isEmpty && $0.utf8.allSatisfy(isDigit) }) {
            return "it must not look like an IP address in dotted-decimal notation"
        }
        guard !name.hasPrefix("goog") else { return "it must not begin with \"goog\"" }
        // "google" and close misspellings such as "g00gle" are refused by Google.
        let folded = name.replacingOccurrences(of: "0", with: "o")
        guard !folded.contains("google") else { return "it must not contain \"google\" or a misspelling of it" }
        return nil
    }

    /// Throws the rule `name` breaks, as a configuration error.
    public static func validate(_ name: String) throws(LumoraError) {
        if let problem = problem(name) {
            throw LumoraError.badRequest("configuration_invalid", "\"\(name)\" is not a valid Cloud Storage bucket name: \(problem)")
        }
    }

    private static func isDigit(_ byte: UInt8) -> Bool { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) }

    private static func isLowercaseLetterOrDigit(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || isDigit(byte)
    }
}
