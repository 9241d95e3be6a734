import LumoraDatabase
import Testing

@Suite struct SQLScriptTests {
    @Test func splitsOnSemicolons() {
        #expect(SQLScript.statements(in: "CREATE TABLE a (x int); CREATE TABLE b (y int);\n") == [
            "CREATE TABLE a (x int)", "CREATE TABLE b (y int)",
        ])
    }

    @Test func keepsSemicolonsInsideLiteralsCommentsAndBodies() throws {
        let script = """
            -- a comment; with a semicolon
            INSERT INTO t VALUES ('a;b', 'it''s; fine', E'esc\\'; still');
            /* block; /* nested; */ still comment; */
            CREATE FUNCTION f() RETURNS int AS $$ BEGIN RETURN 1; END; $$ LANGUAGE plpgsql;
            CREATE FUNCTION g() RETURNS int AS $body$ SELECT 2; $body$ LANGUAGE sql;
            SELECT "odd;name" FROM t WHERE x = $1;
            """
        let statements = SQLScript.statements(in: script)
        try #require(statements.count == 4)
        #expect(statements[0].hasSuffix("E'esc\\'; still')"))
        #expect(statements[1].contains("RETURN 1; END;"))
        #expect(statements[2].contains("SELECT 2;"))
        #expect(statements[3] == "SELECT \"odd;name\" FROM t WHERE x = $1")
    }

    @Test func dropsEmptyAndCommentOnlyStatements() {
        #expect(SQLScript.statements(in: " ; ;\n-- only a comment\n;/* and this */") == [])
    }

    @Test func shippedMigrationsSplitIntoStatements() throws {
        let store = try MigrationSet.store()
        #expect(store.latestVersion >= 1)
        #expect(store.migrations[0].statements.count > 10)
        #expect(try MigrationSet.control().migrations[0].statements.contains { $0.contains("CREATE TABLE lumora.stores") })
    }

    @Test func migrationNumberingMustBeContiguous() {
        #expect(throws: MigrationError.self) {
            _ = try MigrationSet(name: "t", migrations: [
                Migration(version: 1, name: "a", sql: ""), Migration(version: 3, name: "c", sql: ""),
            ])
        }
    }
}

@Suite struct DoBlockTests {
    @Test func wrapsStatementsWithTagsTheyDoNotContain() {
        let block = SQLScript.doBlock(["CREATE TABLE t (x int)", "SELECT '$lumora_statement$'", "CREATE FUNCTION f() RETURNS int AS $$ SELECT 1 $$ LANGUAGE sql"])
        #expect(block.hasPrefix("DO $lumora_block$ BEGIN"))
        #expect(block.contains("EXECUTE $lumora_statement$CREATE TABLE t (x int)$lumora_statement$;"))
        #expect(block.contains("EXECUTE $lumora_statement_1$SELECT '$lumora_statement$'$lumora_statement_1$;"))
        #expect(block.hasSuffix("END $lumora_block$"))
    }
}
