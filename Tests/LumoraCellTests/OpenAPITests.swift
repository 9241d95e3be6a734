import Foundation
import Logging
import LumoraCell
import LumoraDatabase
import Testing

/// `docs/openapi/cell.yaml` must document exactly the routes the cell's router serves: every
/// route, and no operation the router lacks. No database is needed: the router is built with a
/// PostgreSQL client that never runs.
@Suite struct OpenAPITests {
    /// `<package>/docs/openapi/cell.yaml`, found from this file (`<package>/Tests/LumoraCellTests/…`).
    static let documentURL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()  // LumoraCellTests
        .deletingLastPathComponent()  // Tests
        .deletingLastPathComponent()  // package root
        .appendingPathComponent("docs")
        .appendingPathComponent("openapi")
        .appendingPathComponent("cell.yaml")

    @Test func theDocumentListsExactlyTheRoutesTheRouterServes() throws {
        let configuration = CellConfiguration(
            mode: .shared, database: try DatabaseURL(string: "postgres://u:p@127.0.0.1:5432/d"), signingSecret: "x")
        let routes = cellRouteDescriptions(configuration: configuration, logger: Logger(label: "lumora.test.openapi"))
            .map(Self.openAPIForm)
        #expect(routes.count > 3, "the router reports only \(routes.count) routes: \(routes)")
        #expect(Set(routes).count == routes.count, "the router reports a route twice: \(routes)")

        let text = try String(contentsOf: Self.documentURL, encoding: .utf8)
        let documented = try Self.operations(inOpenAPI: text)
        #expect(!documented.isEmpty, "no operations found under `paths:` in \(Self.documentURL.path)")

        let problems = Self.discrepancies(routes: Set(routes), documented: documented)
        #expect(problems.undocumented.isEmpty,
                "routes the router serves that docs/openapi/cell.yaml does not document: \(problems.undocumented.joined(separator: ", "))")
        #expect(problems.unserved.isEmpty,
                "operations docs/openapi/cell.yaml documents that the router lacks: \(problems.unserved.joined(separator: ", "))")
    }

    /// The checker itself: it finds operations by indentation, and names what is missing on
    /// either side.
    @Test func theCheckerNamesMissingAndExtraOperations() throws {
        let sample = """
            openapi: 3.1.0
            # paths are below
            paths:
              /health:
                get:
                  summary: "not: a method"
                  responses: {}
              /store/products/{handle}:
                parameters:
                  - name: handle
                get:
                  responses: {}
                delete:
                  responses: {}

              "/store/carts":
                post:
                  responses: {}
            components:
              schemas:
                Thing:
                  get:
                    type: object
            """
        let documented = try Self.operations(inOpenAPI: sample)
        #expect(documented == ["GET /health", "GET /store/products/{handle}", "DELETE /store/products/{handle}", "POST /store/carts"])

        let routes = Set(["GET /health", "GET /store/products/:handle", "GET /store/settings", "POST /store/carts"].map(Self.openAPIForm))
        let problems = Self.discrepancies(routes: routes, documented: documented)
        #expect(problems.undocumented == ["GET /store/settings"])
        #expect(problems.unserved == ["DELETE /store/products/{handle}"])
    }

    @Test func routeParametersBecomeOpenAPITemplates() {
        #expect(Self.openAPIForm("GET /store/products/:handle") == "GET /store/products/{handle}")
        #expect(Self.openAPIForm("POST /store/carts/:id/line-items/:line") == "POST /store/carts/{id}/line-items/{line}")
        #expect(Self.openAPIForm("get /admin/settings/") == "GET /admin/settings")
        #expect(Self.openAPIForm("GET /store/products/{handle}") == "GET /store/products/{handle}")
        #expect(Self.openAPIForm("GET /") == "GET /")
    }

    // MARK: Helpers

    struct Discrepancies: Equatable {
        /// Served by the router, missing from the document.
        var undocumented: [String]
        /// In the document, not served by the router.
        var unserved: [String]
    }

    static func discrepancies(routes: Set<String>, documented: Set<String>) -> Discrepancies {
        Discrepancies(undocumented: routes.subtracting(documented).sorted(), unserved: documented.subtracting(routes).sorted())
    }

    /// `"GET /store/products/:handle"` → `"GET /store/products/{handle}"`: the method in upper
    /// case, `:param` segments as `{param}`, no trailing slash.
    static func openAPIForm(_ route: String) -> String {
        let parts = route.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        guard parts.count == 2 else { return route }
        let segments = parts[1].split(separator: "/").map { segment in
            segment.hasPrefix(":") ? "{\(segment.dropFirst())}" : String(segment)
        }
        return "\(parts[0].uppercased()) /\(segments.joined(separator: "/"))"
    }

    struct MalformedDocument: Error, CustomStringConvertible {
        let description: String
    }

    static let httpMethods: Set<String> = ["get", "put", "post", "delete", "options", "head", "patch", "trace"]

    /// Every `METHOD /path` under the top-level `paths:` of an OpenAPI document in YAML, read by
    /// indentation (no YAML library): path keys are the lines indented two spaces ending in `:`,
    /// operations the lines indented four spaces whose key is an HTTP method.
    static func operations(inOpenAPI text: String) throws -> Set<String> {
        var operations: Set<String> = []
        var inPaths = false
        var sawPaths = false
        var currentPath: String?
        for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = rawLine.hasSuffix("\r") ? rawLine.dropLast() : rawLine
            let content = line.drop { $0 == " " }
            if content.isEmpty || content.hasPrefix("#") { continue }
            let indent = line.count - content.count
            let key = Self.strippingComment(content)

            if indent == 0 {
                inPaths = key == "paths:"
                if inPaths {
                    guard !sawPaths else { throw MalformedDocument(description: "line \(index + 1): a second `paths:`") }
                    sawPaths = true
                }
                currentPath = nil
                continue
            }
            guard inPaths else { continue }

            if indent == 2 {
                guard key.hasSuffix(":") else {
                    throw MalformedDocument(description: "line \(index + 1): expected a path key like `  /health:`, found `\(line)`")
                }
                var path = String(key.dropLast())
                if path.count >= 2, let first = path.first, first == "\"" || first == "'", path.last == first {
                    path = String(path.dropFirst().dropLast())
                }
                guard path.hasPrefix("/") else {
                    throw MalformedDocument(description: "line \(index + 1): a path must start with `/`, found `\(path)`")
                }
                currentPath = path
            } else if indent == 4, key.hasSuffix(":"), Self.httpMethods.contains(String(key.dropLast())) {
                guard let currentPath else {
                    throw MalformedDocument(description: "line \(index + 1): an operation outside any path")
                }
                operations.insert(openAPIForm("\(key.dropLast().uppercased()) \(currentPath)"))
            }
        }
        guard sawPaths else { throw MalformedDocument(description: "the document has no top-level `paths:`") }
        return operations
    }

    /// The line without a trailing ` # comment` and trailing spaces.
    private static func strippingComment(_ content: Substring) -> String {
        var text = content
        if let hash = text.range(of: " #") { text = text[..<hash.lowerBound] }
        while text.last == " " { text = text.dropLast() }
        return String(text)
    }
}
