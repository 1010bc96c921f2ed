/// Which pushed states an office may write: the server's rule, applied to every state of a push
/// before it is merged (docs/security.md, "Scope on writes").
///
/// An office's Quartiere come from its token on the server, never from the request. An office
/// may
/// - create records routed to its Quartiere or shared (`*`), also when it moved them on before
///   the server heard of them (the move replaced a route of its own);
/// - change, delete or move elsewhere a record whose route at the server is in its scope now;
/// - change a record that was in its scope in the version its change was made on: the record
///   has since moved to another Quartier, one of its former Quartiere is the office's, and the
///   office had not heard of the move (its state is concurrent with the server's) — and its
///   state was made on a version the server knows: it keeps a field version the server's
///   state covers (an edit, a delete or a move keeps the versions of the fields it did not
///   write). Such a change merges into the moved record, as a change concurrent with a move
///   does everywhere else (docs/sync-model.md). A row written blind over another Quartier's
///   id writes every field anew, and is refused.
///
/// A state the server already holds (its context is covered by the stored one) changes nothing
/// and is never refused. Anything else — creating or changing a record of a Quartier the office
/// does not serve, or moving such a record into its own — is refused, per state.
public struct WriteScope: Sendable {
    /// The pushing office's Quartiere.
    public var quartiers: [String]

    /// The rule for an office serving `quartiers`.
    public init(quartiers: [String]) {
        self.quartiers = quartiers
    }

    /// Why a pushed state was refused.
    public enum Refusal: String, Sendable, Codable, Equatable {
        /// It creates a record routed to a Quartier the office does not serve.
        case createdOutsideScope = "created-outside-scope"
        /// It changes a record the office neither serves nor served when it made the change.
        case changedOutsideScope = "changed-outside-scope"

        /// What the office is told, without a value: what it did and what to do.
        public var explanation: String {
            switch self {
            case .createdOutsideScope:
                "the record belongs to a Quartier this office does not serve; create it in one of "
                    + "this office's Quartiere, or ask an office of that Quartier to create it"
            case .changedOutsideScope:
                "the record belongs to a Quartier this office does not serve; ask an office of that "
                    + "Quartier (or the server admin) to change it"
            }
        }
    }

    /// Whether `incoming` may be written over `stored` (nil: the server does not hold the
    /// record), where `formerRoutes` are the Quartiere the record was routed to before.
    /// - Returns: nil when the write is allowed, else why it is refused.
    public func refusal(of incoming: RecordState, stored: RecordState?, formerRoutes: Set<String>) -> Refusal? {
        guard let stored else {
            if Quartier.scope(quartiers, covers: incoming.route) { return nil }
            // Created here and moved on before the server heard of it (or a restored server
            // lost it): the move replaced a route of this office's.
            let route = incoming.fields[index: RecordState.routingFieldIndex].provisionalWinner()
            return Quartier.scope(quartiers, covers: route?.replaced?.text) ? nil : .createdOutsideScope
        }
        // Known already: merging it changes nothing.
        if incoming.context.isDominated(by: stored.context) { return nil }
        if Quartier.scope(quartiers, covers: stored.route) { return nil }
        // Made on a version routed to this office, before it heard the record had moved on.
        if formerRoutes.contains(where: { Quartier.scope(quartiers, covers: $0) }),
            incoming.context.compare(stored.context) == .concurrent,
            Self.madeOnKnownVersion(incoming, stored)
        {
            return nil
        }
        return .changedOutsideScope
    }

    /// Whether `incoming` keeps a field version that `stored` covers: it was made on a version
    /// of the record (an edit, a delete or a move keeps the versions of what it did not
    /// write), not written over its id (an insert writes every field anew).
    static func madeOnKnownVersion(_ incoming: RecordState, _ stored: RecordState) -> Bool {
        incoming.fields.values.contains { siblings in siblings.contains { stored.context.covers($0.dot) } }
    }
}
