import LumoraCore
import LumoraDrivers
import Testing

@Suite struct CloudRunNamesTests {
    static func isValidName(_ name: String) -> Bool {
        name.wholeMatch(of: /[a-z][a-z0-9-]*[a-z0-9]/) != nil
    }

    @Test func aDedicatedCellIsNamedAfterItsStore() throws {
        let spec = CellSpec.dedicated(try StoreSlug(validating: "acme"), version: CellVersion(name: "0.2.0"))
        #expect(CloudRunNames.serviceID(for: spec) == "lumora-store-acme")
        #expect(CloudRunNames.serviceID(for: .shared(version: CellVersion(name: "0.2.0"))) == "lumora-shared")
        #expect(CloudRunNames.revisionName(service: "lumora-store-acme", version: "0.2.0") == "lumora-store-acme-0-2-0")
        #expect(CloudRunNames.revisionName(service: "lumora-shared", version: "1.0.0-RC.1+build") == "lumora-shared-1-0-0-rc-1-build")
    }

    @Test func longSlugsAreShortenedDeterministicallyAndStayDistinct() throws {
        let a = try StoreSlug(validating: "a-very-long-store-name-number-01")
        let b = try StoreSlug(validating: "a-very-long-store-name-number-02")
        let version = CellVersion(name: "0.1.0")
        let idA = CloudRunNames.serviceID(for: .dedicated(a, version: version))
        let idB = CloudRunNames.serviceID(for: .dedicated(b, version: version))
        #expect(idA != idB)
        #expect(idA == CloudRunNames.serviceID(for: .dedicated(a, version: version)))
        for id in [idA, idB] {
            #expect(id.count < 50)
            #expect(Self.isValidName(id), "\(id)")
            #expect(!id.contains("--"))
        }
        let revision = CloudRunNames.revisionName(service: idA, version: "2026.11.30-build-12345678901234567890")
        #expect(revision.count <= 63)
        #expect(Self.isValidName(revision))
    }
}
