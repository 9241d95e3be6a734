@testable import LumoraEdge
import LumoraMedia
import Testing

/// `MediaAnswer` decides without sockets what the edge answers for a file it holds.
@Suite struct MediaAnswerTests {
    let file = MediaFile(hash: String(repeating: "ab", count: 32), width: 640, format: .webp)

    @Test func rangesAreReadAsRFC9110Says() {
        #expect(ByteRange.parse("bytes=0-99", length: 1000) == .range(0..<100))
        #expect(ByteRange.parse("bytes=900-", length: 1000) == .range(900..<1000))
        #expect(ByteRange.parse("bytes=-100", length: 1000) == .range(900..<1000))
        #expect(ByteRange.parse("bytes=-5000", length: 1000) == .range(0..<1000))
        #expect(ByteRange.parse("bytes=990-5000", length: 1000) == .range(990..<1000))
        #expect(ByteRange.parse("bytes=1000-", length: 1000) == .unsatisfiable)
        #expect(ByteRange.parse("bytes=-0", length: 1000) == .unsatisfiable)
        for ignored in ["bytes=5-1", "bytes=0-1,5-9", "items=0-1", "bytes=a-b", "bytes=", "bytes=-", "bytes=99999999999999999999-"] {
            #expect(ByteRange.parse(ignored, length: 1000) == .none, "\(ignored)")
        }
    }

    @Test func validatorsDecideTheStatus() {
        let etag = "\"\(file.name)\""
        #expect(MediaAnswer.decide(file: file, length: 10, ifNoneMatch: nil, range: nil, ifRange: nil).status == .ok)
        #expect(MediaAnswer.decide(file: file, length: 10, ifNoneMatch: etag, range: nil, ifRange: nil).status == .notModified)
        #expect(MediaAnswer.decide(file: file, length: 10, ifNoneMatch: "\"x\", W/\(etag)", range: nil, ifRange: nil).status == .notModified)
        #expect(MediaAnswer.decide(file: file, length: 10, ifNoneMatch: "*", range: nil, ifRange: nil).status == .notModified)
        #expect(MediaAnswer.decide(file: file, length: 10, ifNoneMatch: "\"other\"", range: nil, ifRange: nil).status == .ok)
        let partial = MediaAnswer.decide(file: file, length: 10, ifNoneMatch: nil, range: "bytes=2-3", ifRange: etag)
        #expect(partial.status == .partialContent && partial.body == 2..<4)
        #expect(partial.headers.contains { $0 == ("content-range", "bytes 2-3/10") })
        #expect(MediaAnswer.decide(file: file, length: 10, ifNoneMatch: nil, range: "bytes=2-3", ifRange: "\"old\"").status == .ok)
        let beyond = MediaAnswer.decide(file: file, length: 10, ifNoneMatch: nil, range: "bytes=20-", ifRange: nil)
        #expect(beyond.status == .rangeNotSatisfiable && beyond.body.isEmpty && beyond.headers.contains { $0 == ("content-range", "bytes */10") })
        let whole = MediaAnswer.decide(file: file, length: 10, ifNoneMatch: nil, range: nil, ifRange: nil)
        #expect(whole.headers.contains { $0 == ("content-type", "image/webp") })
        #expect(whole.headers.contains { $0 == ("cache-control", "public, max-age=31536000, immutable") })
    }

    @Test func onlyNamesThisTypeFormatsAreFiles() {
        #expect(MediaFile(name: Substring(file.name)) == file)
        for name in ["", "x.jpg", "\(file.hash)-640", "\(file.hash)-640.gif", "\(file.hash)-0640.webp", "\(file.hash)--640.webp",
                     "\(file.hash.uppercased())-640.webp", "\(file.hash)-640.webp/..", "../\(file.hash)-640.webp", "\(file.hash)-1234567.webp",
                     String(file.hash.dropLast()) + "-640.webp"] {
            #expect(MediaFile(name: Substring(name)) == nil, "\(name)")
        }
    }
}
