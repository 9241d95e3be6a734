import Foundation
import LumoraDatabase
import LumoraTestSupport
import PostgresNIO
import Testing

/// Arrays of records as PostgreSQL sends them, decoded field by field.
@Suite struct PostgresRecordTests {
    struct Line: PostgresRecordDecodable, Equatable {
        let id: Int64
        let note: String?
        let sizes: [Int32]
        let at: Date

        init(id: Int64, note: String?, sizes: [Int32], at: Date) {
            self.id = id
            self.note = note
            self.sizes = sizes
            self.at = at
        }

        init<JSONDecoder: PostgresJSONDecoder>(record: inout PostgresRecordFields<JSONDecoder>) throws {
            id = try record.next()
            note = try record.next()
            sizes = try record.next()
            at = try record.next()
        }
    }

    @Test func nestedRowsDecodeInOrderWithNullsAndInnerArrays() async throws {
        try await TestDatabase.withFresh { db in
            let rows = try await db.withClient(maximumConnections: 1) { client in
                try await client.query("""
                    SELECT n, ARRAY(SELECT ROW(l.id, l.note, l.sizes, l.at)
                                    FROM (VALUES (2::bigint, NULL::text, '{}'::int[], timestamptz '2026-01-02 03:04:05+00'),
                                                 (1::bigint, 'first', '{10,20}'::int[], timestamptz '2026-01-01 00:00:00+00')) l (id, note, sizes, at)
                                    WHERE l.id <= n ORDER BY l.id)
                    FROM generate_series(0, 2) n ORDER BY n
                    """).collect((Int, [Line]).self)
            }
            let first = Line(id: 1, note: "first", sizes: [10, 20], at: Date(timeIntervalSince1970: 1_767_225_600))
            let second = Line(id: 2, note: nil, sizes: [], at: Date(timeIntervalSince1970: 1_767_323_045))
            #expect(rows.map(\.0) == [0, 1, 2])
            #expect(rows.map(\.1) == [[], [first], [first, second]])
        }
    }

    /// A NULL where the reader wants a value, a field of another type, a field the reader
    /// leaves unread, one it wants that is not there: each is an error, never a half-read value.
    @Test(arguments: [
        "SELECT ARRAY[ROW(NULL::bigint, 'x'::text, '{}'::int[], now())]",
        "SELECT ARRAY[ROW('1'::text, 'x'::text, '{}'::int[], now())]",
        "SELECT ARRAY[ROW(1::bigint, 'x'::text, '{}'::int[], now(), 5)]",
        "SELECT ARRAY[ROW(1::bigint, 'x'::text, '{}'::int[])]",
    ])
    func aRecordOfAnotherShapeIsRefused(_ sql: String) async throws {
        try await TestDatabase.withFresh { db in
            try await db.withClient(maximumConnections: 1) { client in
                await #expect(throws: PostgresDecodingError.self) {
                    _ = try await client.query(PostgresQuery(unsafeSQL: sql)).collect([Line].self)
                }
                // The connection goes on serving.
                let answer = try await client.scalar("SELECT 1", as: Int.self)
                #expect(answer == 1)
            }
        }
    }
}
