/// The rules every record state received from outside must keep, checked by a server before a
/// pushed batch touches its store: a broken or hostile client must not be able to damage it.
///
/// A state is refused when it is not canonical (versions out of order, values kept on a
/// deleted record), when its clocks are not well-formed (a version the context does not cover,
/// a zero counter, a negative time), when it lacks what every state has (an existence version,
/// a route), when its id is not an id, or when a value breaks the column's rule (dates,
/// Handlungsfeld, status, Quartier, length) as the client checks it (`RecordValidator`).
/// Errors name the record and the rule, never a value.
///
/// Bounds, so that no state can make a store trap, overflow or work without end: version
/// counters at most ``VersionVector/maxCounter`` (2^53); times from 0 to 24 hours
/// (``HybridTimestamp/maxSkewMilliseconds``) ahead of the checking store's clock, with a
/// logical part of at most ``HybridTimestamp/maxLogical``; at most ``maxVersions`` versions
/// of one field (and of existence) and ``maxReplicas`` replicas in a version vector.
public struct StateValidator: Sendable {
    /// The longest text a field may hold, in characters.
    public var maxFieldLength: Int
    /// The checking store's clock, in milliseconds since 1970; nil checks no time against it.
    public var now: Int64?
    /// Whether values are held to their column's rule (dates, Handlungsfeld, status, Quartier
    /// names). A server checks them; an office re-checks only the structure and bounds of what
    /// it pulls (the server checked the values, and an office's tables take any text while
    /// states are applied), which keeps applying a page as fast as before.
    public var checksValues = true
    /// The most versions one field, or the record's existence, may hold at once: as many
    /// concurrent writes as any Quartier's offices make.
    public static let maxVersions = 256
    /// The most replicas one version vector may name.
    public static let maxReplicas = 10_000

    /// A validator allowing fields of up to `maxFieldLength` characters and times up to
    /// 24 hours after `now` (milliseconds since 1970; nil: no bound ahead).
    public init(maxFieldLength: Int = 10_000, now: Int64? = nil) {
        self.maxFieldLength = maxFieldLength
        self.now = now
    }

    /// Checks every state of `batch`; throws for the first that breaks a rule.
    public func check(_ batch: ChangeBatch) throws(SyncError) {
        var validators: [SyncTable: RecordValidator] = [:]
        for state in batch.records {
            let validator = validators[state.table] ?? RecordValidator(table: state.table)
            validators[state.table] = validator
            try check(state, validator)
        }
    }

    /// Checks one state.
    public func check(_ state: RecordState) throws(SyncError) {
        try check(state, RecordValidator(table: state.table))
    }

    /// Checks one state with `validator`, the record validator of its table (made once per
    /// table by a caller that checks many states).
    package func check(_ state: RecordState, _ validator: RecordValidator) throws(SyncError) {
        func refuse(_ rule: String, field: String? = nil) -> SyncError {
            SyncError(
                .invalidInput, "\(state.table.singular) \(state.id.prefix(64)) breaks a rule: \(rule)", field: field)
        }
        guard (1...64).contains(state.id.utf8.count),
            state.id.utf8.allSatisfy({ $0.isASCIIIdentifierByte })
        else { throw refuse("its id is not an id (1 to 64 letters, digits, '-' or '_')", field: "id") }
        guard !state.alive.isEmpty else { throw refuse("it does not say whether the record exists") }
        guard state.context.counters.count <= Self.maxReplicas,
            state.context.counters.values.allSatisfy({ $0 <= VersionVector.maxCounter })
        else { throw refuse("its version vector is out of range (counters up to 2^53)") }
        func outOfBounds(_ time: HybridTimestamp) -> Bool {
            time.milliseconds < 0 || time.logical > HybridTimestamp.maxLogical
                || now.map { time.milliseconds > $0 + HybridTimestamp.maxSkewMilliseconds } == true
        }
        guard state.alive.count <= Self.maxVersions,
            state.table.fields.indices.allSatisfy({ state.fields[index: $0].count <= Self.maxVersions })
        else { throw refuse("it holds more than \(Self.maxVersions) versions of one field") }
        guard state.isCanonical else {
            throw refuse("its versions are out of order, or it keeps values of a deleted record")
        }
        for sibling in state.alive {
            guard sibling.dot.counter > 0, state.context.covers(sibling.dot) else {
                throw refuse("an existence version is not covered by its version vector")
            }
            guard !outOfBounds(sibling.time) else { throw refuse(Self.clockRule) }
        }
        guard state.route != nil else { throw refuse("it has no quartier", field: "quartier") }
        if let updatedAt = state.updatedAt, updatedAt.utf8.count > 40 || updatedAt.containsLineBreak {
            throw refuse("updated_at is not a time", field: "updated_at")
        }
        func fits(_ value: FieldValue) -> Bool {
            guard case .text(let text) = value else { return true }
            return text.utf8.count <= maxFieldLength || text.count <= maxFieldLength
        }
        // By position, not by name: this runs for every state a store receives; the name is
        // only looked up for a refusal.
        for index in state.table.fields.indices {
            let siblings = state.fields[index: index]
            guard !siblings.isEmpty else { continue }
            let column = index + 1
            var field: String { state.table.fields[index] }
            for sibling in siblings {
                guard sibling.dot.counter > 0, state.context.covers(sibling.dot) else {
                    throw refuse("a version of \(field) is not covered by its version vector", field: field)
                }
                guard !outOfBounds(sibling.time) else { throw refuse(Self.clockRule, field: field) }
                // A replaced value is history (the ancestor a conflict view shows): it may be
                // the very value that was fixed, so only its length is held to a rule.
                guard fits(sibling.value), fits(sibling.replaced ?? .erased) else {
                    throw refuse("\(field) is longer than \(maxFieldLength) characters", field: field)
                }
                guard checksValues, case .text(let text) = sibling.value else { continue }
                do {
                    try validator.check(column: column, text)
                } catch {
                    throw refuse(error.message, field: field)
                }
            }
        }
    }
}

extension StateValidator {
    /// The rules an office checks pulled states against: the server's rules of structure and
    /// bounds (ids, existence, routes, versions covered and in order, counters, clocks,
    /// lengths), with room for what an office cannot know (the server may allow longer fields,
    /// up to a million characters; the server's clock may be ahead of this computer's, by up to
    /// another 24 hours); values are not held to their column's rules again
    /// (``checksValues``). A state the server should have refused is skipped, never stored.
    public static func pulled(now: Int64) -> StateValidator {
        var validator = StateValidator(maxFieldLength: 1_000_000, now: now + HybridTimestamp.maxSkewMilliseconds)
        validator.checksValues = false
        return validator
    }

    static let clockRule =
        "a version's time lies more than 24 hours ahead of the server's clock, or before 1970: "
        + "check the date and time of the computer that made it"
}

extension UInt8 {
    /// `0-9`, `A-Z`, `a-z`, `-`, `_`.
    fileprivate var isASCIIIdentifierByte: Bool {
        (0x30...0x39).contains(self) || (0x41...0x5A).contains(self) || (0x61...0x7A).contains(self) || self == 0x2D
            || self == 0x5F
    }
}
