import Foundation
import LumoraCore
import NIOCore
import NIOPosix

/// Media files in a folder of the data directory (`lumora dev`, single machines). A file is
/// written to a temporary name and renamed into place, so a reader sees all of it or nothing.
/// File I/O blocks, so it runs on NIO's blocking pool, off the event loops and Swift's
/// cooperative threads.
public struct LocalDiskMediaStore: MediaStore {
    public let root: URL

    public init(root: URL) {
        self.root = root
    }

    public func put(_ key: MediaKey, bytes: ByteBuffer, contentType: String) async throws {
        let target = url(key)
        try await NIOThreadPool.singleton.runIfActive {
            try FileManager.default.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
            // `.atomic`: written beside the target, then renamed over it. The same name always
            // holds the same bytes, so a writer that loses a race loses nothing.
            try Data(bytes.readableBytesView).write(to: target, options: .atomic)
        }
    }

    public func get(_ key: MediaKey) async throws -> ByteBuffer? {
        let source = url(key)
        return try await NIOThreadPool.singleton.runIfActive {
            do {
                return ByteBuffer(bytes: try Data(contentsOf: source))
            } catch CocoaError.fileReadNoSuchFile, CocoaError.fileNoSuchFile {
                return nil
            }
        }
    }

    public func delete(_ key: MediaKey) async throws {
        let target = url(key)
        try await NIOThreadPool.singleton.runIfActive {
            do {
                try FileManager.default.removeItem(at: target)
            } catch CocoaError.fileNoSuchFile {
            }
        }
    }

    public func deleteAll(of store: StoreSlug) async throws {
        let folder = root.appendingPathComponent(MediaKey.prefix(of: store))
        try await NIOThreadPool.singleton.runIfActive {
            do {
                try FileManager.default.removeItem(at: folder)
            } catch CocoaError.fileNoSuchFile {
            }
        }
    }

    /// One folder under the system's temporary directory, the same for every role of this
    /// user: what a cell writes there, an edge built the same way serves (tests, benchmarks).
    public static var inTemporaryFolder: LocalDiskMediaStore {
        LocalDiskMediaStore(root: FileManager.default.temporaryDirectory.appendingPathComponent("lumora-media-\(getuid())"))
    }

    func url(_ key: MediaKey) -> URL { root.appendingPathComponent(key.objectName) }
}
