import ArgumentParser
import Foundation
import LumoraDrivers
import LumoraMedia

/// Where store media are kept, the same for every role of one platform: a Cloud Storage bucket
/// (`--media-bucket` or `LUMORA_MEDIA_BUCKET`, with the Google credentials of the environment),
/// else a folder (default `<data-dir>/media`). Cells write there, edges read, the manager sweeps
/// and purges. Cells a manager starts are told through the environment.
struct MediaOptions: ParsableArguments {
    @Option(name: .customLong("media-dir"), help: "Keep store media in this folder (default: LUMORA_MEDIA_DIR, else <data-dir>/media).")
    var mediaDirectory: String?
    @Option(name: .customLong("media-bucket"), help: "Keep store media in this Cloud Storage bucket (default: LUMORA_MEDIA_BUCKET).")
    var mediaBucket: String?

    static let directoryVariable = "LUMORA_MEDIA_DIR"
    static let bucketVariable = "LUMORA_MEDIA_BUCKET"

    var bucket: String? {
        (mediaBucket ?? ProcessInfo.processInfo.environment[Self.bucketVariable]).flatMap { $0.isEmpty ? nil : $0 }
    }

    func folder(dataDirectory: URL) -> URL {
        let given = mediaDirectory ?? ProcessInfo.processInfo.environment[Self.directoryVariable]
        return given.map { URL(fileURLWithPath: $0, isDirectory: true).standardizedFileURL } ?? dataDirectory.appendingPathComponent("media", isDirectory: true)
    }

    func store(dataDirectory: URL) throws -> any MediaStore {
        let environment = ProcessInfo.processInfo.environment
        guard let bucket else { return LocalDiskMediaStore(root: folder(dataDirectory: dataDirectory)) }
        return try CloudStorageMediaStore(bucket: bucket, baseURL: environment["LUMORA_STORAGE_URL"] ?? CloudStorageMediaStore.defaultBaseURL,
                                          tokens: GoogleAccessTokens(source: try .fromEnvironment(environment)))
    }

    /// What cells started by this process need to find the same media.
    func cellEnvironment(dataDirectory: URL) -> [String: String] {
        if let bucket { return [Self.bucketVariable: bucket] }
        return [Self.directoryVariable: folder(dataDirectory: dataDirectory).path]
    }
}
