import LumoraCore
import NIOCore

/// Where a store's image files live: the data folder on one machine, a Cloud Storage bucket in
/// production. Files are content-addressed (`MediaFile`), so a key's bytes never change: a
/// second `put` of a key writes the same bytes again, and any reader may cache what it read
/// forever.
public protocol MediaStore: Sendable {
    /// Stores `bytes` under `key`, whole or not at all (a reader never sees half a file).
    func put(_ key: MediaKey, bytes: ByteBuffer, contentType: String) async throws
    /// The file's bytes, or nil when there is no such file.
    func get(_ key: MediaKey) async throws -> ByteBuffer?
    /// Removes the file; removing a file that is not there is not an error.
    func delete(_ key: MediaKey) async throws
    /// Removes every file of the store (the store is purged).
    func deleteAll(of store: StoreSlug) async throws
}

/// A file of one store: `stores/<slug>/<hash>-<width>.<ext>`. The store is part of the key, so
/// one store's file is never found under another's name, even for the same bytes.
public struct MediaKey: Sendable, Hashable, CustomStringConvertible {
    public let store: StoreSlug
    public let file: MediaFile

    public init(store: StoreSlug, file: MediaFile) {
        self.store = store
        self.file = file
    }

    /// The object name: every part validated, so it is safe as a path and in a URL.
    public var objectName: String { "\(Self.prefix(of: store))\(file.name)" }
    public var description: String { objectName }

    public static func prefix(of store: StoreSlug) -> String { "stores/\(store.rawValue)/" }
}
