import Foundation
import Synchronization

/// One bucket of the Cloud Storage JSON API v1 on loopback, following Google's reference
/// (objects.insert with `uploadType=media`, objects.get with and without `alt=media`,
/// objects.delete, objects.list with `prefix`/`maxResults`/`pageToken`, `ifGenerationMatch`
/// preconditions, and the JSON API's error bodies), not what our client happens to send.
/// Start one per test; knobs change its behaviour.
///
/// Sources: the storage v1 discovery document (`storage-api.json`), the JSON API reference
/// pages objects/insert, get, delete, list and "HTTP status and error codes for JSON", and the
/// object and bucket naming rules. Not found there, so chosen here (unconfirmed): an upload
/// without Content-Type is stored as application/octet-stream, `maxResults=0` means the
/// default, and a page token carries the last name listed. The bucket has versioning off.
/// Anything else the fake does not implement (other preconditions, `delimiter`, other upload
/// types) is answered 400 "not supported by this fake" rather than ignored.
public final class FakeCloudStorage: Sendable {
    private let server: LoopbackServer
    private let box: StateBox

    public let bucket: String

    private init(server: LoopbackServer, box: StateBox, bucket: String) {
        self.server = server
        self.box = box
        self.bucket = bucket
    }

    public static func start(bucket: String = "lumora-media-test", acceptedTokens: Set<String> = ["test-token"]) async throws -> FakeCloudStorage {
        // The state exists before the server (requests read it); the base URL, needed for
        // `selfLink` and `mediaLink`, is filled in once the port is known.
        let box = StateBox(CloudStorageState(bucket: bucket, acceptedTokens: acceptedTokens))
        let server = try await LoopbackServer.start(name: "fake-cloud-storage") { request in
            box.state.withLock { $0.handle(request) }
        }
        box.state.withLock { $0.baseURL = server.baseURL }
        return FakeCloudStorage(server: server, box: box, bucket: bucket)
    }

    /// `Mutex` is not copyable: the server's closure and the fake share it through this box.
    private final class StateBox: Sendable {
        let state: Mutex<CloudStorageState>
        init(_ initial: CloudStorageState) { state = Mutex(initial) }
    }

    /// `http://127.0.0.1:<port>`, standing in for `https://storage.googleapis.com`.
    public var baseURL: String { server.baseURL }

    public func shutdown() async { await server.shutdown() }

    // MARK: knobs

    public func acceptToken(_ token: String) {
        box.state.withLock { _ = $0.acceptedTokens.insert(token) }
    }

    /// Accepts every token `tokens` issued and that has not expired.
    public func acceptTokens(from tokens: FakeGoogleTokens) {
        box.state.withLock { $0.tokenSources.append(tokens) }
    }

    /// The most items one objects.list page holds, whatever `maxResults` asks (Google's own
    /// cap is 1000); tests set a small one to see several pages.
    public func setPageSizeLimit(_ limit: Int) {
        box.state.withLock { $0.pageSizeLimit = min(max(limit, 1), CloudStorageState.servicePageSizeLimit) }
    }

    /// The next requests answer these statuses in order (before authentication, as an
    /// overloaded front end would), with JSON API error bodies and `Retry-After` if given.
    public func injectFailures(_ statuses: [Int], retryAfterSeconds: Int? = nil) {
        box.state.withLock {
            $0.injected.append(contentsOf: statuses)
            $0.injectedRetryAfter = retryAfterSeconds
        }
    }

    /// Injected failures not answered yet.
    public var pendingInjectedFailures: Int {
        box.state.withLock { $0.injected.count }
    }

    /// Stores an object directly, as if uploaded earlier (by another process, say).
    @discardableResult
    public func seed(name: String, bytes: Data, contentType: String = "application/octet-stream") -> Int64 {
        box.state.withLock { $0.store(name: name, bytes: bytes, contentType: contentType).generation }
    }

    // MARK: inspection

    /// Live object names, in the order objects.list gives them.
    public var objectNames: [String] {
        box.state.withLock { $0.sortedNames() }
    }

    public func object(_ name: String) -> FakeCloudStorageObject? {
        box.state.withLock { state in
            state.objects[name].map {
                FakeCloudStorageObject(name: $0.name, bytes: $0.bytes, contentType: $0.contentType, generation: $0.generation)
            }
        }
    }

    /// `METHOD /path?query` of every request, exactly as sent (percent-encoding kept), in order.
    public var requestLog: [String] {
        box.state.withLock { $0.requestLog }
    }

    /// The status of every answer, in the order of `requestLog`.
    public var statusLog: [Int] {
        box.state.withLock { $0.statusLog }
    }
}

public struct FakeCloudStorageObject: Sendable, Equatable {
    public var name: String
    public var bytes: Data
    public var contentType: String
    public var generation: Int64
}
