import SyncKernel
import SyncProtocol

/// Where the server keeps record states and its office registry.
///
/// Every requirement is `async`: a request handler awaits the store without holding one of
/// Swift concurrency's threads. Two stores implement it: the embedded SQLite store
/// (``SQLiteServerStore``, the default) and ``PostgresServerStore`` (several servers on one
/// database). Merging happens in the store (both plan a push with SyncStore's `ApplyPlan`,
/// which merges with SyncKernel's `MergeKernel`), never in route code.
public protocol ServerStore: Sendable {
    /// Identifies this store; clients keep their pull cursor per store id.
    var storeID: String { get }

    /// Merges a pushed batch from `office`. Each state that breaks a rule of `validator`, or
    /// that the office may not write (`WriteScope` from its Quartiere), is refused alone and
    /// listed in the receipt; the others are stored. A batch whose `key` was already stored
    /// for the office is not applied again: the first receipt is returned. With `replica`, the
    /// store notes, in the same transaction, that it holds that replica's changes up to the
    /// batch's cursor.
    func push(
        _ batch: ChangeBatch, key: String?, from office: Office, replica: ReplicaID?, validator: StateValidator
    ) async throws -> PushReceipt

    /// What the store holds, as `replica` of `office` sees it: the answer to `GET /v2/session`.
    func session(for office: Office, replica: ReplicaID?) async throws -> Session

    /// Notes that `office` found the store had lost data and raises the recovery epoch — at
    /// most once per office within ``SQLiteServerStore/recoveryInterval`` (each raise makes every
    /// office send and pull everything again). Returns the epoch, and whether this report
    /// raised it.
    func reportRecovery(from office: Office) async throws -> (epoch: Int64, raised: Bool)

    /// The next page of changes after `cursor` that `office` may see.
    func pull(since cursor: Int64, limit: Int, for office: Office) async throws -> EncodedBatch

    /// The office a token belongs to, or nil (unknown or revoked).
    func office(forToken token: String) async throws -> Office?

    /// Registers an office and returns its new token (shown once). An active office of that
    /// name keeps its token and gets the new Quartiere (the token is then nil); a revoked one
    /// is registered again with a new token.
    func addOffice(name: String, quartiers: [String]) async throws -> (Office, token: String?)

    /// Every registered office, revoked ones included.
    func offices() async throws -> [Office]

    /// Revokes an office's token; its pushes and pulls are refused from then on.
    func revokeOffice(name: String) async throws

    /// Registers an admin and returns its token (shown once; only a hash is kept). An admin
    /// sees every Quartier's conflicts and offices, and settles conflicts as the store's write.
    func addAdmin(name: String) async throws -> String

    /// Revokes an admin's token; the admin endpoints refuse it from the next request on.
    func revokeAdmin(name: String) async throws

    /// The admin a token belongs to, or nil (unknown or revoked).
    func admin(forToken token: String) async throws -> String?

    /// Open conflicts of records in `quartiers` (every Quartier with nil).
    func conflicts(within quartiers: [String]?) async throws -> [Conflict]

    /// One open conflict of a record in `quartiers` (any with nil), or a `not-found` error.
    func conflict(id: String, within quartiers: [String]?) async throws -> Conflict

    /// Settles a conflict as the store's own write, which reaches the offices on their next
    /// pull; `decider` goes into the audit trail.
    func resolve(_ id: String, _ decision: ConflictDecision, reason: String, by decider: String) async throws
        -> Resolution

    /// Erases the record `key` everywhere, as the store's own write, for admin `admin`
    /// (docs/data-protection.md).
    func erase(_ key: RecordKey, reason: String, by admin: String) async throws -> ErasureOrder

    /// The erasure orders `office` has not confirmed, with the erased records' states: what it
    /// carries out before it pushes (`GET /v2/erasures`); with `everywhere`, also the erased
    /// states of other Quartiere (for records an office keeps outside its own).
    func outstandingErasures(for office: Office, everywhere: Bool) async throws -> ChangeBatch

    /// Every erasure order, with the offices that confirmed it and those outstanding.
    func erasures() async throws -> [ErasureStatus]

    /// Replaces the retention rules (`RetentionRules`).
    func setRetention(_ rules: RetentionRules) async throws

    /// The retention rules and the records they make due now.
    func retention() async throws -> RetentionReport

    /// Erases every record the retention rules make due now, each under an erasure order.
    func applyRetention(reason: String, by admin: String) async throws -> [ErasureOrder]

    /// What the network holds about a person, found by contact id, e-mail or phone.
    func subjectReport(id: String?, email: String?, phone: String?) async throws -> SubjectReport

    /// Every office with how it keeps up: last seen, last result, conflicts, changes not pulled.
    func officeOverviews() async throws -> [OfficeOverview]

    /// Notes what an office's sync did at the server (for ``officeOverviews()``).
    func note(_ event: SyncEvent, of office: Office) async throws
}

/// What the server notes of an office's sync.
public enum SyncEvent: Sendable, Equatable {
    /// It opened a sync (`GET /v2/session`).
    case started
    /// It pulled to the end of its feed, up to this position; it asked for that last page
    /// after `holds`, so it holds, durably, every record of its Quartiere up to there (a
    /// replica moves its cursor in the transaction that applies a page). Noted once per pull
    /// to the end, not per page: each note is a write, and writes queue behind pushes.
    case pulledToEnd(Int64, holds: Int64)
    /// A request of it failed with this error code.
    case failed(String)
}
