import NIOCore
import PostgresNIO

/// The PostgreSQL store's hot statements, prepared once per connection (postgres-nio keeps
/// them by name): a page of the feed — every pull — and the stored states of a batch's
/// records — every push.
enum PostgresStatements {
    /// The records after `cursor` routed to `quartiers` (or shared, or routed there before):
    /// position, state, route; at most `limit` rows.
    struct FeedPage: PostgresPreparedStatement {
        static let sql = """
            SELECT seq, state, quartier FROM _sync_records r
            WHERE seq > $1 AND (quartier = '*' OR quartier = ANY($2)
                OR (moved <> 0 AND EXISTS (
                    SELECT 1 FROM _sync_routes h WHERE h.tbl = r.tbl AND h.id = r.id
                    AND (h.quartier = '*' OR h.quartier = ANY($2)))))
            ORDER BY seq LIMIT $3
            """
        typealias Row = (Int64, ByteBuffer, String?)

        var cursor: Int64
        var quartiers: [String]
        var limit: Int64

        func makeBindings() throws -> PostgresBindings {
            var bindings = PostgresBindings(capacity: 3)
            bindings.append(cursor)
            bindings.append(quartiers)
            bindings.append(limit)
            return bindings
        }

        func decodeRow(_ row: PostgresRow) throws -> Row { try row.decode(Row.self) }
    }

    /// The stored states of the records `(tables[i], ids[i])`.
    struct States: PostgresPreparedStatement {
        static let sql = """
            SELECT r.state FROM _sync_records r
            JOIN unnest($1::text[], $2::text[]) AS k(tbl, id) ON r.tbl = k.tbl AND r.id = k.id
            """
        typealias Row = ByteBuffer

        var tables: [String]
        var ids: [String]

        func makeBindings() throws -> PostgresBindings {
            var bindings = PostgresBindings(capacity: 2)
            bindings.append(tables)
            bindings.append(ids)
            return bindings
        }

        func decodeRow(_ row: PostgresRow) throws -> Row { try row.decode(ByteBuffer.self) }
    }
}
