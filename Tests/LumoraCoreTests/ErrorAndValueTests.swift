import LumoraCore
import Testing

@Suite struct ErrorAndValueTests {
    @Test func errorsMapToOneStatusAndBody() {
        let error = LumoraError(.conflict, code: "store_exists", message: "a store named 'acme' already exists")
        #expect(error.httpStatusCode == 409)
        #expect(error.body == ErrorBody(error: .init(code: "store_exists", message: "a store named 'acme' already exists")))
        #expect(LumoraError.notFound("x", "y").httpStatusCode == 404)
        #expect(LumoraError(.tooManyRequests, code: "rate_limited", message: "").httpStatusCode == 429)
    }

    @Test func plansParse() throws {
        #expect(try Plan(validating: "enterprise").hasDedicatedCell)
        #expect(try !Plan(validating: "standard").hasDedicatedCell)
        #expect { try Plan(validating: "gold") } throws: { ($0 as? LumoraError)?.code == "invalid_plan" }
    }

    @Test(arguments: ["owner@example.com", " Owner@Example.COM ", "a.b+tag@shop.co.uk"])
    func acceptsEmails(_ raw: String) throws {
        let email = try EmailAddress(validating: raw)
        #expect(email.rawValue.contains("@"))
        #expect(email.rawValue == email.rawValue.trimmingASCIIWhitespace())
    }

    @Test(arguments: ["", "owner", "owner@", "@example.com", "a@b", "a b@example.com", "a@@example.com", "a@example.com.", "<a@example.com>"])
    func refusesBadEmails(_ raw: String) {
        #expect { try EmailAddress(validating: raw) } throws: { ($0 as? LumoraError)?.code == "invalid_email" }
    }
}
