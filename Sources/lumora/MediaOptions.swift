import ArgumentParser
import Foundation
import LumoraMedia

/// Where store media are kept, the same for every role of one platform: a folder (default
/// `<data-dir>/media`), or a Cloud Storage bucket. Cells write there, edges read, the manager
/// sweeps and purges. Cells a manager starts are told through the environment.
struct MediaOptions: ParsableArguments {
    @Option(name: .customLong("media-dir"), help: "Keep store media in this folder (default: LUMORA_MEDIA_DIR, else <data-dir>/media).")
    var mediaDirectory: String?

    static let directoryVariable = "LUMORA_MEDIA_DIR"

    func folder(dataDirectory: URL) -> URL {
        let given = mediaDirectory ?? ProcessInfo.processInfo.environment[Self.directoryVariable]
        return given.map { URL(fileURLWithPath: $0, isDirectory: true).standardizedFileURL } ?? dataDirectory.appendingPathComponent("media", isDirectory: true)
    }

    func store(dataDirectory: URL) -> any MediaStore {
        LocalDiskMediaStore(root: folder(dataDirectory: dataDirectory))
    }

    /// What cells started by this process need to find the same media.
    func cellEnvironment(dataDirectory: URL) -> [String: String] {
        [Self.directoryVariable: folder(dataDirectory: dataDirectory).path]
    }
}
