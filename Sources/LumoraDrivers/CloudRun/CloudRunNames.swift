import Crypto
import Foundation
import LumoraCore

/// Cloud Run names for Lumora's cells. A service id must start with a lowercase letter, hold
/// only `[a-z0-9-]`, not end with `-`, and be under 50 characters; a revision name is the
/// service id, `-`, and a suffix, within 63 characters.
public enum CloudRunNames {
    public static let maximumServiceID = 49
    public static let maximumRevisionName = 63

    /// `lumora-store-<slug>` for a dedicated cell, `lumora-<id>` for a shared one. Ids that
    /// would be too long keep a readable prefix and end in a hash of the whole id, so two
    /// stores never share a service.
    public static func serviceID(for spec: CellSpec) -> String {
        switch spec.kind {
        case .dedicated: return shortened("lumora-store-\(spec.store?.rawValue ?? spec.id)", limit: maximumServiceID)
        case .shared: return shortened("lumora-" + sanitised(spec.id), limit: maximumServiceID)
        }
    }

    /// `<service>-<version>` with the version's dots and other characters as `-`
    /// (`lumora-store-acme-0-2-0`), shortened the same way when too long.
    public static func revisionName(service: String, version: String) -> String {
        shortened(service + "-" + sanitised(version), limit: maximumRevisionName)
    }

    /// Lowercase letters, digits and single `-` only, trimmed of `-` at both ends.
    static func sanitised(_ text: String) -> String {
        var result = ""
        for character in text.lowercased() {
            let keep = character.isASCII && (character.isLetter || character.isNumber)
            if keep {
                result.append(character)
            } else if !result.isEmpty, result.last != "-" {
                result.append("-")
            }
        }
        while result.hasSuffix("-") { result.removeLast() }
        return result.isEmpty ? "x" : result
    }

    static func shortened(_ name: String, limit: Int) -> String {
        guard name.count > limit else { return name }
        let digest = Hex.lowercase(SHA256.hash(data: Data(name.utf8)).prefix(4))
        var prefix = String(name.prefix(limit - digest.count - 1))
        while prefix.hasSuffix("-") { prefix.removeLast() }
        return prefix + "-" + digest
    }

    /// A label value: lowercase letters, digits and `-`, at most 63 characters.
    static func label(_ text: String) -> String {
        var value = String(sanitised(text).prefix(63))
        while value.hasSuffix("-") { value.removeLast() }
        return value
    }
}
