import CryptoExtras
import Crypto
import Foundation
import LumoraCore

/// Passwords, hashed with scrypt (swift-crypto's `_CryptoExtras`). The stored form says its
/// parameters — `scrypt$<log2 N>$<r>$<p>$<salt>$<hash>`, base64 — so a hash made with cheaper
/// settings (the tests') or older ones still verifies after the cost is raised.
struct PasswordHasher: Sendable {
    /// log2 of scrypt's N: 15 (32 MiB, tens of milliseconds) in production.
    let logRounds: Int
    static let blockSize = 8
    static let parallelism = 1

    init(logRounds: Int = 15) {
        self.logRounds = logRounds
    }

    /// 8 to 200 characters; any characters but control ones (the form refuses those first).
    static func validate(_ password: String) throws(LumoraError) -> String {
        guard password.count >= 8 else {
            throw LumoraError(.unprocessable, code: "weak_password", message: "A password needs at least 8 characters.")
        }
        guard password.count <= 200 else {
            throw LumoraError(.unprocessable, code: "invalid_password", message: "A password can have at most 200 characters.")
        }
        return password
    }

    func hash(_ password: String) throws -> String {
        var generator = SystemRandomNumberGenerator()
        let salt = (0..<16).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let key = try derive(password, salt: salt, logRounds: logRounds, blockSize: Self.blockSize, parallelism: Self.parallelism)
        return "scrypt$\(logRounds)$\(Self.blockSize)$\(Self.parallelism)$\(Data(salt).base64EncodedString())$\(Data(key).base64EncodedString())"
    }

    /// Whether `password` is the one `stored` was made from (compared in constant time). A
    /// malformed stored value verifies nothing.
    func verify(_ password: String, against stored: String) -> Bool {
        let parts = stored.split(separator: "$", omittingEmptySubsequences: false)
        guard parts.count == 6, parts[0] == "scrypt", let logRounds = Int(parts[1]), (1...20).contains(logRounds),
              let blockSize = Int(parts[2]), (1...16).contains(blockSize), let parallelism = Int(parts[3]), (1...4).contains(parallelism),
              let salt = Data(base64Encoded: String(parts[4])), let expected = Data(base64Encoded: String(parts[5])), expected.count == 32,
              let key = try? derive(password, salt: Array(salt), logRounds: logRounds, blockSize: blockSize, parallelism: parallelism) else {
            return false
        }
        return ConstantTime.equals(key, Array(expected))
    }

    /// Spends what a real check spends, for an address with no account: the answer's timing
    /// does not tell which addresses have accounts.
    func verifyNothing(_ password: String) {
        _ = try? derive(password, salt: Array(repeating: 0, count: 16), logRounds: logRounds, blockSize: Self.blockSize, parallelism: Self.parallelism)
    }

    private func derive(_ password: String, salt: [UInt8], logRounds: Int, blockSize: Int, parallelism: Int) throws -> [UInt8] {
        let key = try KDF.Scrypt.deriveKey(from: Array(password.utf8), salt: salt, outputByteCount: 32,
                                           rounds: 1 << logRounds, blockSize: blockSize, parallelism: parallelism)
        return key.withUnsafeBytes { Array($0) }
    }
}
