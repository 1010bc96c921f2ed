import Foundation
import GRDB
import SyncKernel
import SyncProtocol
import SyncStore

/// Retention deadlines at the server, which holds every record: an admin sets the rules, checks
/// what is due, and erases it through erasure orders. Nothing is erased by a rule alone.
extension SQLiteServerStore {
    /// Replaces the retention rules.
    public func setRetention(_ rules: RetentionRules) async throws {
        let text = String(decoding: try JSONEncoder().encode(rules), as: UTF8.self)
        try await states.write { db in
            try db.execute(sql: "INSERT OR REPLACE INTO _server_retention (id, rules) VALUES (1, ?)", arguments: [text])
        }
    }

    /// The rules and the records they make due now.
    public func retention() async throws -> RetentionReport {
        try await states.read { db in
            guard let text = try String.fetchOne(db, sql: "SELECT rules FROM _server_retention WHERE id = 1") else {
                return RetentionReport(rules: nil, due: [])
            }
            let rules = try RetentionRules.parse(Data(text.utf8))
            let records = try db.rows(
                sql:
                    "SELECT state FROM _sync_records WHERE tbl IN ('contacts', 'activities') AND visible = 1 ORDER BY seq"
            ).map { try StateTable.decode($0["state"]) }
            return RetentionReport(rules: rules, due: rules.due(in: records))
        }
    }
}

extension ServerStore {
    /// Erases every record due now, each under an erasure order of `admin` with `reason`: the
    /// same for every store (retention finds them, ``erase(_:reason:by:)`` erases each).
    public func applyRetention(reason: String, by admin: String) async throws -> [ErasureOrder] {
        var orders: [ErasureOrder] = []
        for due in try await retention().due {
            orders.append(try await erase(RecordKey(due.table, due.id), reason: "\(reason) (\(due.rule))", by: admin))
        }
        return orders
    }
}
