import Logging
import SyncCore
import SyncKernel
import SyncRemote
import SyncServer
import SyncStore

/// A server store in memory and office replicas syncing with it in process, through the one
/// sync offices run (`Synchronizer` on an `InProcessUpstream`): recovery, scope, refusals and
/// push-backs as over HTTP, without starting a server.
struct InProcessNetwork {
    let store: SQLiteServerStore
    let synchronizer: Synchronizer

    /// The store's records, cursors and conflicts, for checks.
    var server: StateStore { store.states }

    /// A network around a store in memory, or in the file at `path` (opened if it exists).
    init(batchSize: Int = 3, path: String? = nil) throws {
        let logger = Logger(label: "quartiersync.test")
        store =
            try path.map { try SQLiteServerStore(path: $0, logger: logger) } ?? SQLiteServerStore(inMemoryWith: logger)
        synchronizer = Synchronizer(batchSize: batchSize)
    }

    /// A new office replica in memory (registered on its first sync).
    func office(_ name: String) throws -> Replica { try Replica.inMemory(office: name) }

    /// The upstream `office` syncs with, registered (or re-scoped) to serve `scope`.
    func upstream(for office: Replica, _ scope: [String]) async throws -> InProcessUpstream {
        let (registered, _) = try await store.addOffice(name: office.office, quartiers: scope)
        return InProcessUpstream(store: store, office: registered)
    }

    /// Syncs `office` as an office serving `scope`.
    @discardableResult
    func sync(_ office: Replica, _ scope: [String]) async throws -> SyncSummary {
        try await synchronizer.sync(office, with: try await upstream(for: office, scope))
    }
}
