import LumoraHTTP
import NIOCore

/// How long the edge waits for a cell's answer: image uploads are decoded and resized before
/// the cell answers (seconds for a large photo on a busy cell), everything else is quick.
enum CellDeadlines {
    static let standard: TimeAmount = .seconds(10)
    static let upload: TimeAmount = .seconds(60)

    static func forPath(_ path: some StringProtocol) -> TimeAmount {
        BodyLimits.isUpload(path) ? upload : standard
    }
}
