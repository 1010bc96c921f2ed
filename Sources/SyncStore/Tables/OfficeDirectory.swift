import GRDB
import SyncKernel

/// Which office each replica belongs to (`_sync_replicas`): learnt from every batch, sent with
/// every batch, so that conflicts and audit views can name offices instead of replica ids.
package struct OfficeDirectory {
    package let db: Database

    package init(db: Database) {
        self.db = db
    }

    /// Notes the offices a batch names. With `authoritative` (a server's registry said so: a
    /// server naming its offices' replicas, or an office hearing from its server) a name replaces
    /// the one known; otherwise a replica's office never changes once known.
    package func remember(_ offices: [ReplicaID: String], authoritative: Bool = false) throws {
        let conflict = authoritative ? "DO UPDATE SET office = excluded.office" : "DO NOTHING"
        for (replica, office) in offices {
            try db.run(
                sql: "INSERT INTO _sync_replicas (replica_id, office) VALUES (?, ?) ON CONFLICT \(conflict)",
                arguments: [replica.rawValue, office])
        }
    }

    /// The offices of every replica that wrote a part of `records`, as far as known.
    package func offices(for records: [RecordState]) throws -> [ReplicaID: String] {
        var replicas = Set<ReplicaID>()
        for record in records {
            for sibling in record.alive { replicas.insert(sibling.dot.replica) }
            for siblings in record.fields.values { for sibling in siblings { replicas.insert(sibling.dot.replica) } }
        }
        return try offices(of: replicas)
    }

    /// The offices of `replicas`, as far as known.
    package func offices(of replicas: Set<ReplicaID>) throws -> [ReplicaID: String] {
        var offices: [ReplicaID: String] = [:]
        for replica in replicas {
            if let office = try db.value(
                String.self, sql: "SELECT office FROM _sync_replicas WHERE replica_id = ?",
                arguments: [replica.rawValue])
            {
                offices[replica] = office
            }
        }
        return offices
    }

    /// Every known replica's office.
    package func all() throws -> [ReplicaID: String] {
        Dictionary(
            uniqueKeysWithValues: try db.rows(sql: "SELECT replica_id, office FROM _sync_replicas")
                .map { (ReplicaID(rawValue: $0[0]), $0[1] as String) })
    }
}
