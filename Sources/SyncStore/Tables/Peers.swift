import Foundation
import GRDB
import SyncKernel

/// What a store remembers about the stores it exchanges with.
///
/// Upstream peers (`_sync_cursors`, by peer name — the server's URL for an office): the pull
/// cursor, the scope it was read with, and the server's recovery epoch. Downstream replicas
/// (`_sync_acks`, by replica id — the offices, for a server): the log position up to which
/// their pushes are stored here.
package struct Peers {
    package let db: Database

    package init(db: Database) {
        self.db = db
    }

    /// The pull cursor for `peer`: 0 before the first pull.
    package func cursor(for peer: String) throws -> Int64 {
        try db.value(Int64.self, sql: "SELECT cursor FROM _sync_cursors WHERE peer = ?", arguments: [peer]) ?? 0
    }

    /// Moves the pull cursor for `peer` forward to `cursor` (never back).
    package func advance(_ peer: String, to cursor: Int64) throws {
        try db.run(
            sql: """
                INSERT INTO _sync_cursors (peer, cursor) VALUES (?, ?)
                ON CONFLICT (peer) DO UPDATE SET cursor = max(cursor, excluded.cursor)
                """, arguments: [peer, cursor])
    }

    /// Starts the pull from `peer` again from the beginning.
    package func rewind(_ peer: String) throws {
        try db.run(
            sql: "INSERT INTO _sync_cursors (peer, cursor) VALUES (?, 0) ON CONFLICT (peer) DO UPDATE SET cursor = 0",
            arguments: [peer])
    }

    /// The scope (as stored JSON) the pull cursor for `peer` was read with; nil before the first.
    package func scopeJSON(for peer: String) throws -> String? {
        try db.value(String.self, sql: "SELECT scope FROM _sync_cursors WHERE peer = ?", arguments: [peer])
    }

    /// Notes the scope the pull cursor for `peer` is read with from now on.
    package func setScopeJSON(_ json: String, for peer: String) throws {
        try db.run(
            sql: """
                INSERT INTO _sync_cursors (peer, cursor, scope) VALUES (?, 0, ?)
                ON CONFLICT (peer) DO UPDATE SET scope = excluded.scope
                """, arguments: [peer, json])
    }

    /// The server's recovery epoch at the last sync with `peer`; nil before the first.
    package func recoveryEpoch(for peer: String) throws -> Int64? {
        try db.value(Int64.self, sql: "SELECT epoch FROM _sync_cursors WHERE peer = ?", arguments: [peer])
    }

    /// Notes the server's recovery epoch for `peer`.
    package func setRecoveryEpoch(_ epoch: Int64, for peer: String) throws {
        try db.run(
            sql: """
                INSERT INTO _sync_cursors (peer, cursor, epoch) VALUES (?, 0, ?)
                ON CONFLICT (peer) DO UPDATE SET epoch = excluded.epoch
                """, arguments: [peer, epoch])
    }

    /// The log position up to which `replica`'s pushes are stored here (0 if none).
    package func acknowledgedPosition(of replica: ReplicaID) throws -> Int64 {
        try db.value(
            Int64.self, sql: "SELECT position FROM _sync_acks WHERE replica_id = ?", arguments: [replica.rawValue]) ?? 0
    }

    /// Notes that the pushes of the acknowledged replica up to its position are stored here.
    package func acknowledge(_ acknowledgement: StateStore.PushAcknowledgement) throws {
        try db.run(
            sql: """
                INSERT INTO _sync_acks (replica_id, position) VALUES (?, ?)
                ON CONFLICT (replica_id) DO UPDATE SET position = max(position, excluded.position)
                """, arguments: [acknowledgement.replica.rawValue, acknowledgement.position])
    }
}
