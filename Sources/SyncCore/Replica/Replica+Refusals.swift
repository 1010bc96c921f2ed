import GRDB
import SyncKernel
import SyncStore

/// Local changes the server refused, each alone: they break a rule every state keeps (a value
/// the sqlite3 shell wrote that is not a date, an over-long field), or the office may not
/// write those records (they belong to a Quartier it does not serve). They are never applied
/// anywhere else; here they stay visible, marked as refused, instead of vanishing, until a
/// later push of the record is accepted.
extension Replica {
    /// A local change the server refused.
    public struct RefusedWrite: Sendable, Equatable, Codable {
        /// The record's table.
        public var table: String
        /// The record's id.
        public var id: String
        /// The server's rule (`invalid-state`, `outside-scope`, `conflicting-dot`, …; older
        /// servers said `created-outside-scope` or `changed-outside-scope`).
        public var code: String
        /// What the server said to do.
        public var message: String
        /// When it was refused (ISO 8601 UTC).
        public var refusedAt: String?

        /// Creates the note of a refusal.
        public init(table: String, id: String, code: String, message: String, refusedAt: String? = nil) {
            self.table = table
            self.id = id
            self.code = code
            self.message = message
            self.refusedAt = refusedAt
        }
    }

    /// Marks local changes up to `position` as handled upstream, in one transaction with what
    /// the server said of them: `refused` are noted, every other record of `pushed` loses an
    /// earlier refusal (it was accepted this time).
    /// - Returns: the refusals noted: those of records still here. A deleted record that the
    ///   server never took reached nobody, and nobody can act on it.
    @discardableResult
    public func acknowledge(upTo position: Int64, pushed: [RecordKey], refused: [RefusedWrite]) throws
        -> [RefusedWrite]
    {
        try write { db in
            var noted: [RefusedWrite] = []
            let earlier = try Outbox(db: db).acknowledgedPosition()
            try Outbox(db: db).acknowledge(upTo: position)
            // Nearly always nothing was ever refused: then no pushed record needs a look.
            let anyMarked = try db.value(Int64.self, sql: "SELECT EXISTS (SELECT 1 FROM _sync_refused)") == 1
            // Whether the server ever took each refused record: as its mark says, or, without a
            // mark, whether an earlier push of it was acknowledged.
            var taken: [String: Bool] = [:]
            for refusal in refused {
                let mark =
                    anyMarked
                    ? try db.value(
                        Int64.self, sql: "SELECT taken FROM _sync_refused WHERE tbl = ? AND id = ?",
                        arguments: [refusal.table, refusal.id]) : nil
                let first = try db.value(
                    Int64.self, sql: "SELECT min(seq) FROM _sync_log WHERE tbl = ? AND row_id = ?",
                    arguments: [refusal.table, refusal.id])
                taken[refusal.table + "/" + refusal.id] = mark.map { $0 == 1 } ?? first.map { $0 <= earlier } ?? false
            }
            for key in pushed where anyMarked {
                try db.run(
                    sql: "DELETE FROM _sync_refused WHERE tbl = ? AND id = ?", arguments: [key.table.rawValue, key.id])
            }
            // A record pushed again lies further on in the server's feed: its hand-over waits
            // for that position (see ``evictOutside(scope:everything:handover:)``).
            if !pushed.isEmpty, try db.value(Int64.self, sql: "SELECT EXISTS (SELECT 1 FROM _sync_leaving)") == 1 {
                for key in pushed { try Self.stopWaiting(db, key) }
            }
            for refusal in refused {
                let wasTaken = taken[refusal.table + "/" + refusal.id] ?? false
                // A record this office alone ever wrote, deleted here, that the server never
                // took (its state breaks a rule, or it was created outside this office's
                // Quartiere) reached nobody, and nobody can edit it any more: nothing to mark.
                // Not so if the server once took it: a server restored since may have lost it,
                // and other offices may hold it.
                if refusal.code == StateRefusal.invalidState
                    || refusal.code == WriteScope.Refusal.outsideScope.rawValue
                    || refusal.code == WriteScope.Refusal.legacyCreatedOutsideScope,
                    !wasTaken, let table = SyncTable(rawValue: refusal.table),
                    let state = try StateTable(db).load([RecordKey(table, refusal.id)]).values.first,
                    !state.isVisible, state.context.counters.keys.allSatisfy({ $0 == id })
                {
                    continue
                }
                try db.run(
                    sql: """
                        INSERT INTO _sync_refused (tbl, id, code, message, taken) VALUES (?, ?, ?, ?, ?)
                        ON CONFLICT (tbl, id) DO UPDATE SET code = excluded.code, message = excluded.message,
                            taken = excluded.taken, refused_at = strftime('%Y-%m-%dT%H:%M:%fZ','now')
                        """, arguments: [refusal.table, refusal.id, refusal.code, refusal.message, wasTaken])
                noted.append(refusal)
            }
            return noted
        }
    }

    /// Queues again the records the server refused because they carry another office's change
    /// it does not hold (`foreign-version`: a server restored from a backup lost it): that
    /// office sends it again at its next sync, and then the server takes this office's state.
    /// Called once at the start of each sync, never during one (the push would not end).
    /// - Returns: how many records were queued.
    @discardableResult
    public func resendAwaitingOtherOffices() throws -> Int {
        // Nearly always there is none: a read, not a write transaction, at every sync.
        let code = WriteScope.Refusal.foreignVersion.rawValue
        let any = try read { db in
            try Int64.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM _sync_refused WHERE code = ?)", arguments: [code])
        }
        guard any == 1 else { return 0 }
        return try write { db in
            var keys: [RecordKey] = []
            for row in try db.rows(
                sql: "SELECT tbl, id FROM _sync_refused WHERE code = ?",
                arguments: [WriteScope.Refusal.foreignVersion.rawValue])
            {
                guard let table = SyncTable(rawValue: row[0]) else { continue }
                keys.append(RecordKey(table, row[1]))
            }
            if !keys.isEmpty { try Outbox(db: db).relay(keys) }
            return keys.count
        }
    }

    /// A refusal the office let go of on purpose.
    public struct DiscardedRefusal: Sendable, Equatable, Codable {
        /// The record's table and id.
        public var table: String
        public var id: String
        /// The server's rule that refused it.
        public var code: String
        /// When it was refused, and when it was let go of (ISO 8601 UTC).
        public var refusedAt: String?
        public var discardedAt: String
        /// Why, as the office wrote it.
        public var reason: String
    }

    /// Lets go of the refusal of record `id` (in `table`, or in whichever table has one): its
    /// mark goes, with a note of `reason`. The record stays as this replica holds it; its
    /// change is not sent again unless the record is changed again here.
    /// - Returns: the refusal let go of.
    /// - Throws: `not-found` when no refusal of that record is marked, and
    ///   `invalid-input` when both tables have one and `table` is nil.
    @discardableResult
    public func discardRefusal(id: String, table: SyncTable? = nil, reason: String) throws -> RefusedWrite {
        let reason = reason.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !reason.isEmpty else {
            throw SyncError(.invalidInput, "say why the change is let go of (--reason TEXT)", field: "reason")
        }
        return try write { db in
            let marked = try db.rows(
                sql:
                    "SELECT tbl, id, code, message, refused_at FROM _sync_refused WHERE id = ? AND (? IS NULL OR tbl = ?)",
                arguments: [id, table?.rawValue, table?.rawValue]
            ).map { RefusedWrite(table: $0[0], id: $0[1], code: $0[2], message: $0[3], refusedAt: $0[4]) }
            guard let refusal = marked.first else {
                throw SyncError(
                    .notFound,
                    "no refused change of a record with id \(id.prefix(64)): 'syncctl refused list' shows them")
            }
            guard marked.count == 1 else {
                throw SyncError(
                    .invalidInput, "both a contact and an activity with this id were refused: add --table",
                    field: "table")
            }
            try db.run(
                sql: "DELETE FROM _sync_refused WHERE tbl = ? AND id = ?", arguments: [refusal.table, refusal.id])
            try db.run(
                sql: "INSERT INTO _sync_refusals_discarded (tbl, id, code, refused_at, reason) VALUES (?, ?, ?, ?, ?)",
                arguments: [refusal.table, refusal.id, refusal.code, refusal.refusedAt, reason])
            return refusal
        }
    }

    /// Every refusal let go of, oldest first.
    public func discardedRefusals() throws -> [DiscardedRefusal] {
        try read { db in
            try db.rows(
                sql: """
                    SELECT tbl, id, code, refused_at, discarded_at, reason FROM _sync_refusals_discarded
                    ORDER BY discarded_at, rowid
                    """
            ).map {
                DiscardedRefusal(
                    table: $0[0], id: $0[1], code: $0[2], refusedAt: $0[3], discardedAt: $0[4], reason: $0[5])
            }
        }
    }

    /// Every local change the server refused and no later push made good, oldest first.
    public func refusedWrites() throws -> [RefusedWrite] {
        try read { db in
            try db.rows(
                sql: "SELECT tbl, id, code, message, refused_at FROM _sync_refused ORDER BY refused_at, tbl, id"
            )
            .map { RefusedWrite(table: $0[0], id: $0[1], code: $0[2], message: $0[3], refusedAt: $0[4]) }
        }
    }

    /// Clears the marks of refused records that `batch`, pulled from upstream, shows the
    /// server holding whole: its state covers every version this replica had (`before`), so
    /// nothing of this office's is kept from the others any more (another office made the
    /// change, or the record came into this office's Quartiere).
    func forgetSettledRefusals(_ db: Database, _ batch: ChangeBatch, _ before: [RecordKey: RecordState]) throws {
        let marked = try Self.refusedKeys(db)
        guard !marked.isEmpty else { return }
        for state in batch.records where marked.contains(state.key) {
            guard before[state.key].map({ $0.context.isDominated(by: state.context) }) ?? true else { continue }
            try db.run(
                sql: "DELETE FROM _sync_refused WHERE tbl = ? AND id = ?", arguments: [state.table.rawValue, state.id])
        }
    }

    static func refusedKeys(_ db: Database) throws -> Set<RecordKey> {
        var keys = Set<RecordKey>()
        for row in try db.rows(sql: "SELECT tbl, id FROM _sync_refused") {
            guard let table = SyncTable(rawValue: row[0]) else { continue }
            keys.insert(RecordKey(table, row[1]))
        }
        return keys
    }
}
