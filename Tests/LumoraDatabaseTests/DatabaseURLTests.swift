import LumoraDatabase
import Testing

@Suite struct DatabaseURLTests {
    @Test func parsesAFullURL() throws {
        let url = try DatabaseURL(string: "postgres://shop%40user:p%3Ass@db.internal:6543/lumora?sslmode=require&search_path=store_acme&application_name=cell")
        #expect(url.host == "db.internal")
        #expect(url.port == 6543)
        #expect(url.username == "shop@user")
        #expect(url.password == "p:ss")
        #expect(url.database == "lumora")
        #expect(url.tlsMode == .require)
        #expect(url.searchPath == "store_acme")
        #expect(url.applicationName == "cell")
        #expect(!url.description.contains("p:ss"))
        #expect(try DatabaseURL(string: url.string) == url)
    }

    @Test func defaultsPortAndSkipsTLSOnLoopback() throws {
        let url = try DatabaseURL(string: "postgresql://me@localhost/db")
        #expect(url.port == 5432)
        #expect(url.tlsMode == .disable)
        #expect(url.password == nil)
    }

    @Test(arguments: ["", "mysql://u@h/d", "postgres://h/d", "postgres://u@h", "postgres://u@h/d?sslmode=sometimes", "not a url"])
    func refusesUnusableURLs(_ raw: String) {
        #expect(throws: DatabaseURLError.self) { _ = try DatabaseURL(string: raw) }
    }

    @Test func searchPathBecomesAStartupParameter() throws {
        let configuration = try DatabaseURL(string: "postgres://u:p@127.0.0.1:5432/d?search_path=store_acme").clientConfiguration()
        #expect(configuration.options.additionalStartupParameters.contains { $0 == ("search_path", "store_acme") })
    }
}
