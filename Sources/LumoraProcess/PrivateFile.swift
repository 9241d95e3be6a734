import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Files that hold secrets (passwords, tokens, signing keys): created readable by their owner
/// only from the first byte — never written first and chmod'ed after, when another user could
/// open them in between — and put in place atomically, so a reader sees all of it or none.
public enum PrivateFile {
    public static func create(_ url: URL, contents: Data) throws {
        let temporary = url.deletingLastPathComponent()
            .appendingPathComponent(".\(url.lastPathComponent).\(UInt32.random(in: 0...UInt32.max)).tmp")
        let fd = open(temporary.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw PrivateFileError(path: temporary.path, call: "open", errno: errno) }
        var written = 0
        let failure: Int32? = contents.withUnsafeBytes { bytes -> Int32? in
            while written < bytes.count {
                let result = write(fd, bytes.baseAddress! + written, bytes.count - written)
                if result < 0 {
                    if errno == EINTR { continue }
                    return errno
                }
                written += result
            }
            return nil
        }
        close(fd)
        if let failure {
            unlink(temporary.path)
            throw PrivateFileError(path: temporary.path, call: "write", errno: failure)
        }
        guard rename(temporary.path, url.path) == 0 else {
            let code = errno
            unlink(temporary.path)
            throw PrivateFileError(path: url.path, call: "rename", errno: code)
        }
    }
}

public struct PrivateFileError: Error, CustomStringConvertible {
    public let path: String
    public let call: String
    public let errno: Int32
    public var description: String { "could not write \(path): \(call) failed (\(String(cString: strerror(errno))))" }
}
