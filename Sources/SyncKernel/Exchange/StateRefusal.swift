/// A pushed state that a server would not store, and why — said without a value.
///
/// A push is refused per state, never whole for one bad state: the others are stored, and
/// the receipt lists each refused one with its rule. Otherwise any state an office can hold
/// that breaks a server rule (a row written by the `sqlite3` shell, an over-long field, a
/// record created outside the office's Quartiere) would stop every later sync of that office,
/// since each push carries it again (docs/sync-model.md, "Refused changes").
public struct StateRefusal: Sendable, Equatable {
    /// The record.
    public var key: RecordKey
    /// The rule, as a stable code: `invalid-state` (``StateValidator``) or one of
    /// ``WriteScope/Refusal``'s.
    public var code: String
    /// What the office is told: the record and the rule broken, and what to do; never a value.
    public var message: String

    /// Creates the note of a refusal.
    public init(key: RecordKey, code: String, message: String) {
        self.key = key
        self.code = code
        self.message = message
    }

    /// The code of a state that breaks a rule of ``StateValidator``.
    public static let invalidState = "invalid-state"

    /// A state that breaks a rule of ``StateValidator``: the office edits or deletes the
    /// record, and its next sync sends it again.
    public init(key: RecordKey, invalid error: SyncError) {
        self.init(
            key: key, code: Self.invalidState,
            message: "\(error.message); edit the record or delete it, and the next sync sends it again")
    }

    /// A pulled state that breaks a rule of ``StateValidator``: the office skips it; only the
    /// server's admin can mend it.
    public init(key: RecordKey, pulled error: SyncError) {
        self.init(
            key: key, code: Self.invalidState,
            message:
                "\(error.message); it was not applied here: tell the server admin, whose server should have refused it")
    }

    /// The code of a change to a record that was erased (``RecordState/isErased``).
    public static let erasedCode = "erased"

    /// A change to a record erased under an erasure order: nobody keeps it, and the office's
    /// next pull removes the record there too.
    public init(erased key: RecordKey) {
        self.init(
            key: key, code: Self.erasedCode,
            message: "\(key.table.singular) \(key.id.prefix(64)) was erased under an erasure order (DSGVO Art. 17): "
                + "this change is not kept, and the next sync removes the record here too")
    }

    /// A state that the office may not write (``WriteScope``).
    public init(key: RecordKey, scope reason: WriteScope.Refusal) {
        self.init(key: key, code: reason.rawValue, message: reason.explanation)
    }
}
