import Foundation
import GRDB
import SyncKernel

/// Erasure (DSGVO Art. 17) in a store: erasing a record as the store's own write (what a
/// server does for an admin), the changes an erasure brings to records that refer to the
/// erased one, the orders a store holds, and removing every copy of erased values from the
/// database files.
extension StateStore {
    /// Erases the record `key` as this store's own write, with an erasure order naming
    /// `orderer` and `reason`: the record's state keeps its id, dots and route and nothing
    /// else; the audit entries about it are erased too, and activities naming an erased
    /// contact as organiser drop the reference. Everything enters the feed like a pushed
    /// change and reaches the offices on their next sync; the database files keep no copy of
    /// the values afterwards (``scrub()``). With `quartiers`, only a record in that scope is
    /// found.
    public func erase(_ key: RecordKey, reason: String, by orderer: String, within quartiers: [String]? = nil)
        async throws -> ErasureOrder
    {
        let reason = try ErasureOrder.checkedReason(reason)
        let order = try await write { db in
            guard var state = try StateTable(db).load([key])[key],
                quartiers.map({ Quartier.scope($0, covers: state.route) }) ?? true
            else { throw Self.noRecord(key) }
            guard !state.isErased else { throw Self.alreadyErased(key) }
            let (ordered, order) = try Self.erase(&state, reason: reason, by: orderer) { try self.tick(db) }
            let following = try self.consequences(db, ofErasing: [key])
            let batch = ChangeBatch(
                records: [state, ordered] + following, offices: [self.id: self.name], cursor: 0, hasMore: false)
            _ = try self.merge(db, batch, .downstream(acknowledging: nil))
            return order
        }
        await scrubAfterCommit()
        return order
    }

    /// Erases `state` as a store's own write under a dot from `tick`, and makes its erasure
    /// order's state: what every server store runs for an admin.
    package static func erase(
        _ state: inout RecordState, reason: String, by orderer: String, tick: () throws -> (Dot, HybridTimestamp)
    ) rethrows -> (orderState: RecordState, order: ErasureOrder) {
        let (dot, time) = try tick()
        state.erase(dot: dot, time: time)
        state.updatedAt = max(state.updatedAt ?? "", iso(time))
        let order = ErasureOrder(
            id: RecordID.timeOrdered(milliseconds: time.milliseconds), quartier: state.route ?? Quartier.shared,
            table: state.table, recordId: state.id, orderedBy: orderer, reason: reason, orderedAt: iso(time))
        let (orderDot, orderTime) = try tick()
        var ordered = RecordState(table: .erasures, id: order.id)
        ordered.write(
            dot: orderDot, time: orderTime, exists: true, mask: SyncTable.erasures.allFieldsMask, row: order.record)
        ordered.updatedAt = order.orderedAt
        return (ordered, order)
    }

    /// Writes, as this store, what erasing `keys` means for the records that refer to them
    /// and this store holds (a server holds them all): the audit entries about an erased
    /// record are erased, and an activity naming an erased contact as organiser drops the
    /// reference (an ordinary change, which merges like any edit). Then removes every copy of
    /// erased values from the files. What a server does after a push erased records.
    public func eraseConsequences(of keys: [RecordKey]) async throws {
        guard !keys.isEmpty else { return }
        try await write { db in
            let following = try self.consequences(db, ofErasing: keys)
            guard !following.isEmpty else { return }
            let batch = ChangeBatch(records: following, offices: [self.id: self.name], cursor: 0, hasMore: false)
            _ = try self.merge(db, batch, .downstream(acknowledging: nil))
        }
        await scrubAfterCommit()
    }

    /// The states, written by this store, that erasing `keys` brings about (see
    /// ``eraseConsequences(of:)``). Reads every audit entry and activity: erasures are rare.
    package func consequences(_ db: Database, ofErasing keys: [RecordKey]) throws -> [RecordState] {
        let states = try db.rows(sql: "SELECT state FROM _sync_records WHERE tbl IN ('resolutions', 'activities')")
            .map { try StateTable.decode($0["state"]) }
        return try Self.consequences(ofErasing: keys, among: states) { try tick(db) }
    }

    /// The states, written under dots from `tick`, that erasing `keys` brings about among
    /// `states` (the audit entries and activities a store holds).
    package static func consequences(
        ofErasing keys: [RecordKey], among states: [RecordState], tick: () throws -> (Dot, HybridTimestamp)
    ) rethrows -> [RecordState] {
        let erased = Set(keys.map(\.id))
        let contacts = Set(keys.filter { $0.table == .contacts }.map(\.id))
        let recordID = SyncTable.resolutions.fieldIndex("record_id")!
        let organiser = SyncTable.activities.fieldIndex("organiser_id")!
        var following: [RecordState] = []
        for var state in states {
            guard state.isVisible else { continue }
            switch state.table {
            case .resolutions:
                guard let about = state.fields[index: recordID].shown()?.value.text, erased.contains(about) else {
                    continue
                }
                let (dot, time) = try tick()
                state.erase(dot: dot, time: time)
            case .activities:
                guard let named = state.fields[index: organiser].shown()?.value.text, contacts.contains(named) else {
                    continue
                }
                let (dot, time) = try tick()
                var values = state.visibleRecord
                values[column: organiser + 1] = nil
                state.write(dot: dot, time: time, exists: true, mask: 1 << Int64(organiser), row: values)
                state.updatedAt = max(state.updatedAt ?? "", iso(time))
            default: continue
            }
            following.append(state)
        }
        return following
    }

    /// Every erasure order this store holds, oldest first.
    public func erasureOrders() async throws -> [ErasureOrder] {
        try await read { db in try Self.erasureOrders(db) }
    }

    /// Every erasure order in the store, oldest first.
    package static func erasureOrders(_ db: Database) throws -> [ErasureOrder] {
        erasureOrders(
            in: try db.rows(sql: "SELECT state FROM _sync_records WHERE tbl = 'erasures' ORDER BY seq")
                .map { try StateTable.decode($0["state"]) })
    }

    /// The erasure orders among `states` (those of the `erasures` table), oldest first.
    package static func erasureOrders(in states: [RecordState]) -> [ErasureOrder] {
        states.compactMap(ErasureOrder.init).sorted { ($0.orderedAt, $0.id) < ($1.orderedAt, $1.id) }
    }

    /// Notes, in the caller's transaction, that the WAL may hold erased values.
    package static func markScrub(_ db: Database) throws {
        try db.run(sql: "INSERT OR IGNORE INTO _sync_scrub (id) VALUES (1)")
    }

    /// Removes every copy of erased values from the database files: the deleted and
    /// overwritten content in the main file is zeroed as it goes (`secure_delete`, on for
    /// every store), and a TRUNCATE checkpoint copies the WAL into the main file and empties
    /// it; then the mark (`markScrub(_:)`) goes. Waits for readers that hold the WAL (up to
    /// about two seconds), then logs and leaves the mark for the next sync or start.
    public func scrub() async throws {
        for attempt in 0..<100 {
            do {
                try await database.writeWithoutTransaction(Self.emptyWAL)
                return
            } catch let error as DatabaseError where Self.waits(error) {
                if attempt == 99 {
                    return logger.warning("the WAL could not be emptied after an erasure: retried later")
                }
                try await Task.sleep(for: .milliseconds(20))
            } catch {
                // A failing disk: said as such; the mark stays for the next sync or start.
                throw Self.writeError(error)
            }
        }
    }

    /// ``scrub()`` after a committed erasure: a failing disk does not turn the erasure, which is
    /// stored, into an error ("nothing was stored" would be false); the mark stays, and the
    /// next sync or start empties the WAL.
    public func scrubAfterCommit() async {
        do {
            try await scrub()
        } catch {
            logger.warning("the WAL could not be emptied after an erasure (the disk failed): retried at the next start")
        }
    }

    /// As ``scrub()``, blocking the calling thread: what an office's commands and a store's
    /// start use.
    package func scrubNow() throws {
        for attempt in 0..<100 {
            do {
                try database.writeWithoutTransaction(Self.emptyWAL)
                return
            } catch let error as DatabaseError where Self.waits(error) {
                if attempt == 99 {
                    return logger.warning("the WAL could not be emptied after an erasure: retried later")
                }
                Thread.sleep(forTimeInterval: 0.02)
            } catch {
                throw Self.writeError(error)
            }
        }
    }

    /// Empties the WAL if an erasure left it holding erased values (a process killed before
    /// it emptied it).
    public func scrubIfMarked() async throws {
        if try await read({ db in try Bool.fetchOne(db, sql: "SELECT 1 FROM _sync_scrub") ?? false }) {
            try await scrub()
        }
    }

    /// As ``scrubIfMarked()``, blocking the calling thread.
    package func scrubIfMarkedNow() throws {
        if try read({ db in try Bool.fetchOne(db, sql: "SELECT 1 FROM _sync_scrub") ?? false }) { try scrubNow() }
    }

    /// The TRUNCATE checkpoint, then the mark goes (its own write lands in the emptied WAL and
    /// holds nothing of a person).
    @Sendable private static func emptyWAL(_ db: Database) throws {
        _ = try db.checkpoint(.truncate)
        try db.run(sql: "DELETE FROM _sync_scrub")
    }

    private static func waits(_ error: DatabaseError) -> Bool {
        error.resultCode == .SQLITE_BUSY || error.resultCode == .SQLITE_LOCKED
    }

    package static func noRecord(_ key: RecordKey) -> SyncError {
        SyncError(
            .notFound, "no \(key.table.singular) \(key.id.prefix(64)) here: check the id (syncctl list)", field: "id")
    }

    package static func alreadyErased(_ key: RecordKey) -> SyncError {
        SyncError(
            .alreadyErased,
            "\(key.table.singular) \(key.id.prefix(64)) is erased already: `syncctl admin erasures` shows its order",
            field: "id")
    }
}
