import Foundation
import LumoraCore
import NIOCore
import NIOPosix
import NIOFileSystem

/// Media files in a folder of the data directory (`lumora dev`, single machines). A file is
/// written to a temporary name and renamed into place, so a reader sees all of it or nothing.
public struct LocalDiskMediaStore: MediaStore {
    public let root: URL

    public init(root: URL) {
        self.root = root
    }

    public func put(_ key: MediaKey, bytes: ByteBuffer, contentType: String) async throws {
        let target = url(key)
        let folder = target.deletingLastPathComponent()
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let temporary = folder.appendingPathComponent(".\(key.file.name).\(UInt64.random(in: 0...UInt64.max)).part")
        do {
            try await FileSystem.shared.withFileHandle(forWritingAt: FilePath(temporary.path), options: .newFile(replaceExisting: false)) { handle in
                _ = try await handle.write(contentsOf: bytes.readableBytesView, toAbsoluteOffset: 0)
            }
            try await FileSystem.shared.moveItem(at: FilePath(temporary.path), to: FilePath(target.path))
        } catch let error as FileSystemError where error.code == .fileAlreadyExists {
            // The same name holds the same bytes: another writer got there first.
            try? FileManager.default.removeItem(at: temporary)
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            throw error
        }
    }

    public func get(_ key: MediaKey) async throws -> ByteBuffer? {
        do {
            return try await ByteBuffer(contentsOf: FilePath(url(key).path), maximumSizeAllowed: .mebibytes(64))
        } catch let error as FileSystemError where error.code == .notFound {
            return nil
        }
    }

    public func delete(_ key: MediaKey) async throws {
        do {
            try FileManager.default.removeItem(at: url(key))
        } catch CocoaError.fileNoSuchFile {
        }
    }

    public func deleteAll(of store: StoreSlug) async throws {
        do {
            try FileManager.default.removeItem(at: root.appendingPathComponent(MediaKey.prefix(of: store)))
        } catch CocoaError.fileNoSuchFile {
        }
    }

    /// One folder under the system's temporary directory, the same for every role of this
    /// user: what a cell writes there, an edge built the same way serves (tests, benchmarks).
    public static var inTemporaryFolder: LocalDiskMediaStore {
        LocalDiskMediaStore(root: FileManager.default.temporaryDirectory.appendingPathComponent("lumora-media-\(getuid())"))
    }

    func url(_ key: MediaKey) -> URL { root.appendingPathComponent(key.objectName) }
}
