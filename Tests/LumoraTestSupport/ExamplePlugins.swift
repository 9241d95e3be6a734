import Crypto
import Foundation
import LumoraCore
import NIOCore
import PostgresNIO
import Synchronization

/// The example plugins in `Examples/plugins`, compiled from their C sources at test time with
/// the Swift toolchain's clang and wasm-ld — so a test runs what a merchant would build, not a
/// checked-in binary. Built once per test process.
public enum ExamplePlugins {
    public static let tenPercentOver100 = "ten-percent-over-100"
    public static let maxTwoPerOrder = "max-two-per-order"
    public static let freeShippingOver100 = "free-shipping-over-100"

    public static func wasm(_ name: String) throws -> [UInt8] {
        // Built under the lock: tests running at once ask for the same module.
        try cache.withLock { cache in
            if let built = cache[name] { return built }
            let bytes = try build(name)
            cache[name] = bytes
            return bytes
        }
    }

    private static func build(_ name: String) throws -> [UInt8] {
        let source = BrowserSupport.repositoryRoot.appendingPathComponent("Examples/plugins/\(name).c")
        let output = FileManager.default.temporaryDirectory
            .appendingPathComponent("lumora-plugin-\(UUID().uuidString)-\(name).wasm")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try clang())
        process.arguments = ["--target=wasm32", "-O2", "-nostdlib", "-Wl,--no-entry", "-o", output.path, source.path]
        let errors = Pipe()
        process.standardError = errors
        try process.run()
        let message = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw BuildFailed(description: "clang failed on \(source.path): \(String(decoding: message, as: UTF8.self))")
        }
        defer { try? FileManager.default.removeItem(at: output) }
        return try [UInt8](Data(contentsOf: output))
    }

    /// `CLANG`, else the clang beside `swift` (the toolchain's, which has the wasm32 target and
    /// wasm-ld), else /opt/swift's.
    static func clang() throws -> String {
        if let chosen = ProcessInfo.processInfo.environment["CLANG"], !chosen.isEmpty { return chosen }
        let candidates = [BrowserSupport.executable("swift").map { URL(fileURLWithPath: $0).resolvingSymlinksInPath().deletingLastPathComponent().appendingPathComponent("clang").path },
                          "/opt/swift/usr/bin/clang"].compactMap { $0 }
        guard let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            throw BuildFailed(description: "no clang with wasm32 found (looked at \(candidates)); set CLANG")
        }
        return found
    }

    /// Writes a plugin row as the manager does once a module passed its checks (the manager's
    /// own tests drive its API; cell and edge tests start from the row).
    public static func install(_ client: PostgresClient, store: String, name: String, point: String, module: [UInt8],
                               onFailure: String = "skip", sharedCells: Bool = false) async throws {
        let digest = Hex.lowercase(SHA256.hash(data: module))
        try await client.query("""
            INSERT INTO lumora.plugins (store_slug, name, point, api_version, sha256, module, on_failure, runs_on_shared_cells)
            VALUES (\(store), \(name), \(point), 1, \(digest), \(ByteBuffer(bytes: module)), \(onFailure), \(sharedCells))
            """).drain()
    }

    public struct BuildFailed: Error, CustomStringConvertible {
        public let description: String
    }

    private static let cache = Mutex<[String: [UInt8]]>([:])
}
