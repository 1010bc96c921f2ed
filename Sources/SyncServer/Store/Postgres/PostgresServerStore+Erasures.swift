import Foundation
import NIOCore
import PostgresNIO
import SyncKernel
import SyncProtocol
import SyncStore

/// Erasure orders, retention and the subject access report on PostgreSQL: the same rules as
/// the SQLite store's (`ServerLedger`, `StateStore`'s pure parts), read with PostgreSQL's queries.
extension PostgresServerStore {
    public func erase(_ key: RecordKey, reason: String, by admin: String) async throws -> ErasureOrder {
        let reason = try ErasureOrder.checkedReason(reason)
        let order = try await write { transaction in
            guard var state = try await transaction.load([key])[key] else { throw StateStore.noRecord(key) }
            guard !state.isErased else { throw StateStore.alreadyErased(key) }
            let (ordered, order) = StateStore.erase(
                &state, reason: reason, by: "admin:\(admin)", tick: transaction.tick)
            _ = try await transaction.merge(
                ChangeBatch(
                    records: [state, ordered], offices: [transaction.replica: "sync-server"], cursor: 0,
                    hasMore: false),
                from: .downstream(acknowledging: nil))
            try await self.eraseConsequences(of: [key], in: transaction)
            return order
        }
        await vacuum()
        return order
    }

    /// Writes, in `transaction`, what erasing `keys` brings about (`StateStore.consequences`).
    func eraseConsequences(of keys: [RecordKey], in transaction: PostgresWrite) async throws {
        let states = try await Self.states(
            in: [.resolutions, .activities], on: transaction.connection, logger: transaction.logger)
        let following = StateStore.consequences(ofErasing: keys, among: states, tick: transaction.tick)
        guard !following.isEmpty else { return }
        _ = try await transaction.merge(
            ChangeBatch(records: following, offices: [transaction.replica: "sync-server"], cursor: 0, hasMore: false),
            from: .downstream(acknowledging: nil))
    }

    /// The orders `office` has not confirmed (all with `everywhere`), each with its record's state.
    private func pendingOrders(for office: Office, everywhere: Bool, on connection: PostgresConnection) async throws
        -> [(order: RecordState, target: RecordState)]
    {
        let rows = try await connection.query(
            """
            SELECT r.state FROM _sync_records r
            WHERE r.tbl = 'erasures' AND (\(everywhere) OR NOT EXISTS (
                SELECT 1 FROM _server_erasure_confirmations c WHERE c.order_id = r.id AND c.office = \(office.name)))
            ORDER BY r.seq
            """, logger: logger)
        var orders: [(RecordState, ErasureOrder)] = []
        for try await blob in rows.decode(ByteBuffer.self) {
            let state = try StateTable.decode(bytes: Array(blob.readableBytesView))
            if let order = ErasureOrder(state) { orders.append((state, order)) }
        }
        let targets = try await Self.states(
            of: orders.map { RecordKey($0.1.table, $0.1.recordId) }, on: connection, logger: logger)
        return orders.compactMap { state, order in
            targets[RecordKey(order.table, order.recordId)].map { (state, $0) }
        }
    }

    public func outstandingErasures(for office: Office, everywhere: Bool) async throws -> ChangeBatch {
        try await read { connection in
            let records = ServerLedger.outstanding(
                try await self.pendingOrders(for: office, everywhere: everywhere, on: connection),
                quartiers: office.quartiers, everywhere: everywhere)
            var replicas = Set<ReplicaID>()
            for record in records {
                for sibling in record.alive { replicas.insert(sibling.dot.replica) }
                for siblings in record.fields.values {
                    for sibling in siblings { replicas.insert(sibling.dot.replica) }
                }
            }
            let offices = try await Self.directory(connection, logger: self.logger, of: Array(replicas))
            return ChangeBatch(records: records, offices: offices, cursor: 0, hasMore: false)
        }
    }

    /// How many erasure orders of `office`'s Quartiere it has not confirmed.
    func outstandingErasureCount(for office: Office, on connection: PostgresConnection) async throws -> Int {
        let scope = Set(office.quartiers + [Quartier.shared])
        var count = 0
        for try await route in try await connection.query(
            """
            SELECT r.quartier FROM _sync_records r WHERE r.tbl = 'erasures' AND NOT EXISTS (
                SELECT 1 FROM _server_erasure_confirmations c WHERE c.order_id = r.id AND c.office = \(office.name))
            """, logger: logger
        ).decode(String?.self) where route.map(scope.contains) ?? false {
            count += 1
        }
        return count
    }

    public func erasures() async throws -> [ErasureStatus] {
        try await read { connection in
            let orders = StateStore.erasureOrders(
                in: try await Self.states(in: [.erasures], on: connection, logger: self.logger))
            guard !orders.isEmpty else { return [] }
            var holders: [ServerLedger.Holder] = []
            for try await (name, quartiers, created, seen) in try await connection.query(
                """
                SELECT o.name, o.quartiers, o.created_at, a.last_seen_at FROM _server_offices o
                LEFT JOIN _server_activity a ON a.office = o.name WHERE o.revoked_at IS NULL ORDER BY o.name
                """, logger: self.logger
            ).decode((String, String, String, String?).self) {
                holders.append(
                    ServerLedger.Holder(
                        office: Office(
                            name: name, quartiers: ServerLedger.quartiers(json: quartiers), createdAt: created),
                        lastSeen: seen))
            }
            var confirmations: [String: [ErasureStatus.Confirmation]] = [:]
            for try await (order, office, at) in try await connection.query(
                "SELECT order_id, office, confirmed_at FROM _server_erasure_confirmations ORDER BY confirmed_at",
                logger: self.logger
            ).decode((String, String, String).self) {
                confirmations[order, default: []].append(ErasureStatus.Confirmation(office: office, at: at))
            }
            let targets = try await Self.states(
                of: orders.map { RecordKey($0.table, $0.recordId) }, on: connection, logger: self.logger)
            var routes: [String: String] = [:]
            for order in orders {
                if let route = targets[RecordKey(order.table, order.recordId)]?.route { routes[order.id] = route }
            }
            return ServerLedger.erasureStatuses(
                orders, routes: routes, holders: holders, confirmations: confirmations)
        }
    }

    /// Notes, for `office` holding the feed up to `holds`, every order it has carried out (as
    /// `SQLiteServerStore.confirmErasures`).
    func confirmErasures(office: Office, holds: Int64, in transaction: PostgresWrite) async throws {
        let rows = try await transaction.query(
            """
            SELECT r.state FROM _sync_records r
            WHERE r.tbl = 'erasures' AND r.seq <= \(holds) AND NOT EXISTS (
                SELECT 1 FROM _server_erasure_confirmations c WHERE c.order_id = r.id AND c.office = \(office.name))
            """)
        var orders: [ErasureOrder] = []
        for try await blob in rows.decode(ByteBuffer.self) {
            if let order = ErasureOrder(try StateTable.decode(bytes: Array(blob.readableBytesView))) {
                orders.append(order)
            }
        }
        guard !orders.isEmpty else { return }
        let targets = try await transaction.load(orders.map { RecordKey($0.table, $0.recordId) })
        for order in orders {
            guard let target = targets[RecordKey(order.table, order.recordId)], target.isErased,
                Quartier.scope(office.quartiers, covers: target.route ?? order.quartier)
            else { continue }
            try await transaction.query(
                """
                INSERT INTO _server_erasure_confirmations (order_id, office, confirmed_at)
                VALUES (\(order.id), \(office.name), \(unescaped: PostgresSchema.nowISO)) ON CONFLICT DO NOTHING
                """)
        }
    }

    public func setRetention(_ rules: RetentionRules) async throws {
        let text = String(decoding: try JSONEncoder().encode(rules), as: UTF8.self)
        try await write { transaction in
            try await transaction.query(
                """
                INSERT INTO _server_retention (id, rules) VALUES (1, \(text))
                ON CONFLICT (id) DO UPDATE SET rules = excluded.rules
                """)
        }
    }

    public func retention() async throws -> RetentionReport {
        try await read { connection in
            guard
                let text = try await connection.query(
                    "SELECT rules FROM _server_retention WHERE id = 1", logger: self.logger
                ).collect().first?.decode(String.self)
            else { return RetentionReport(rules: nil, due: []) }
            let rules = try RetentionRules.parse(Data(text.utf8))
            let records = try await Self.states(
                in: [.contacts, .activities], visible: true, on: connection, logger: self.logger)
            return RetentionReport(rules: rules, due: rules.due(in: records))
        }
    }

    public func subjectReport(id: String?, email: String?, phone: String?) async throws -> SubjectReport {
        try await read { connection in
            let states = try await Self.states(
                in: [.contacts, .activities, .resolutions, .erasures], on: connection, logger: self.logger)
            var ids = id.map { [$0] } ?? []
            if email != nil || phone != nil {
                ids += StateStore.contacts(
                    among: states.filter { $0.table == .contacts && $0.isVisible }, email: email, phone: phone)
            }
            let offices = try await Self.offices(
                try await connection.query(
                    """
                    SELECT \(unescaped: Self.officeColumns) FROM _server_offices WHERE revoked_at IS NULL ORDER BY name
                    """, logger: self.logger))
            let now =
                try await connection.query("SELECT \(unescaped: PostgresSchema.nowISO)", logger: self.logger)
                .collect().first?.decode(String.self) ?? ""
            return StateStore.subjectReport(
                states: states, contacts: ids, madeBy: "sync-server", madeAt: now,
                offices: try await Self.directory(connection, logger: self.logger)
            ) { route in
                offices.filter { Quartier.scope($0.quartiers, covers: route) }.map(\.name)
            }
        }
    }
}
