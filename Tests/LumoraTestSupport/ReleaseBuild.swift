import Foundation

/// Versions of Lumora to release in tests, made from the built binary without building again:
/// a version is a `lumora` executable plus the resource bundles beside it (where its store
/// migrations ship), so a folder with the same executable and one more migration file is a
/// genuinely newer version as far as a release is concerned.
public enum ReleaseBuild {
    /// A folder holding `lumora` (hard-linked, or copied across file systems) and its resource
    /// bundles, with `storeMigrations` (file name → SQL) added to the store set.
    public static func make(_ name: String, storeMigrations: [String: String] = [:]) throws -> URL {
        let built = try LumoraBinary.url()
        let folder = try folder(for: name, beside: built)
        let binary = folder.appendingPathComponent("lumora")
        if link(built.path, binary.path) != 0 {
            try FileManager.default.copyItem(at: built, to: binary)
        }
        try copyBundles(from: built, to: folder, storeMigrations: storeMigrations)
        return binary
    }

    /// A broken "version": an executable script (e.g. one that exits at once), shipped with
    /// the same store migrations as the built binary so that only the cells misbehave.
    public static func script(_ name: String, _ text: String) throws -> URL {
        let built = try LumoraBinary.url()
        let folder = try folder(for: name, beside: built)
        let binary = folder.appendingPathComponent("lumora")
        try text.write(to: binary, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: binary.path)
        try copyBundles(from: built, to: folder, storeMigrations: [:])
        return binary
    }

    public static func remove(_ binary: URL) {
        try? FileManager.default.removeItem(at: binary.deletingLastPathComponent())
    }

    /// Next to the build folder (same file system, so the 100 MB executable is linked, not copied).
    private static func folder(for name: String, beside built: URL) throws -> URL {
        let folder = built.deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("test-releases/\(name)-\(UUID().uuidString.prefix(8))", isDirectory: true)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return folder
    }

    private static func copyBundles(from built: URL, to folder: URL, storeMigrations: [String: String]) throws {
        let buildFolder = built.deletingLastPathComponent()
        for bundle in try FileManager.default.contentsOfDirectory(atPath: buildFolder.path) where bundle.hasPrefix("lumora_") && bundle.hasSuffix(".resources") {
            try FileManager.default.copyItem(at: buildFolder.appendingPathComponent(bundle), to: folder.appendingPathComponent(bundle))
        }
        let store = folder.appendingPathComponent("lumora_LumoraDatabase.resources/Migrations/store", isDirectory: true)
        for (file, sql) in storeMigrations {
            try sql.write(to: store.appendingPathComponent(file), atomically: true, encoding: .utf8)
        }
    }
}
