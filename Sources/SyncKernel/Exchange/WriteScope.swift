/// Which pushed states an office may write: the server's rule, applied to every state of a push
/// before it is merged (docs/security.md, "Scope on writes").
///
/// An office's Quartiere come from its token on the server, never from the request. An office
/// may
/// - create records routed to its Quartiere or shared (`*`), also when it moved them on before
///   the server heard of them (the move replaced a route of its own; or, moved several times,
///   every version is one of this office's replicas: the fold keeps only the last move);
/// - change, delete or move elsewhere a record whose route at the server is in its scope now;
/// - change a record that was in its scope in the version its change was made on: the record
///   has since moved to another Quartier, one of its former Quartiere is the office's, and the
///   office had not heard of the move (its state is concurrent with the server's) — and its
///   state was made on a version the server knows: it keeps a field version the server's
///   state covers (an edit, a delete or a move keeps the versions of the fields it did not
///   write). Such a change merges into the moved record, as a change concurrent with a move
///   does everywhere else (docs/sync-model.md). A row written blind over another Quartier's
///   id writes every field anew, and is refused;
/// - change (or move back) a record it moved away itself, made on the version holding that
///   move: the route the server holds is a version of one of this office's replicas (the
///   server binds each replica to the office that first synced it) that replaced a route of
///   this office's, every version the state adds is this office's, and it drops nothing
///   another office wrote. A sync that stopped after the move was stored leaves the record at
///   the office until the next one; a change made meanwhile merges into the moved record like
///   a change concurrent with a move. Once the new Quartier's offices move it on, their
///   route replaces the office's move, and the office's writes are refused. A record only
///   this office's replicas ever wrote (created and moved on before it first synced) counts
///   as moved away by it.
///
/// Whatever the scope, a pushed state may only add what its office could have written:
/// - a version the server holds (same dot) must arrive with the value the server holds for it
///   (`conflicting-dot`: a replica that reuses its version numbers — a copied or restored
///   replica file — or a forged state);
/// - a state the server's version vector already covers brings nothing new, so it may change
///   nothing either: it may not drop a version the server holds nor move the record
///   (`rewrites-known-versions`). It may only give back a value the server forgot for a
///   version it holds (a record deleted and revived regains what some store still holds).
///
/// No version a state adds — one the server's state of the record does not cover — may be of
/// another registered office's replica: an office learns other offices' versions only from the
/// server, so a version of theirs that the server never held in this record is a forgery (a
/// made-up value under their name in a conflict, clashing with that replica's own next write of
/// the record: `conflicting-dot` for the honest office), whatever its number (`foreign-version`).
/// One exception: a server restored from a backup lost changes that other offices pulled, and
/// an office whose replica no longer holds the record (its Quartiere changed) cannot send them
/// again. For a while after a restore (`othersReached`), a version numbered up to what its
/// replica has reached at the server is taken from any office; one beyond is refused until
/// its own office has synced, and the refused office sends the record again at every sync.
/// Replicas the server binds to nobody (a restored server forgot them) and those of revoked
/// offices (a lost laptop) are taken from any office: nobody else can send them.
///
/// Anything else — creating or changing a record of a Quartier the office does not serve, or
/// moving such a record into its own — is refused, per state. A route a push names for a
/// record is never taken as one of its former Quartiere (that would let the office write it
/// later): the server only announces the record there, so that offices holding it hear it left.
public struct WriteScope: Sendable {
    /// The pushing office's Quartiere.
    public var quartiers: [String]
    /// The replicas the server binds to the pushing office.
    public var replicas: Set<ReplicaID>

    /// The replicas of other offices still registered, each with the highest number of it the
    /// pushing office may send a version of that the server's record does not hold: 0 (none)
    /// but for a while after the server was restored from a backup (see the type's rule).
    public var othersReached: [ReplicaID: UInt64]

    /// The rule for an office serving `quartiers`, syncing with `replicas`, next to offices
    /// whose replicas reached `othersReached`.
    public init(quartiers: [String], replicas: Set<ReplicaID> = [], othersReached: [ReplicaID: UInt64] = [:]) {
        self.quartiers = quartiers
        self.replicas = replicas
        self.othersReached = othersReached
    }

    /// Why a pushed state was refused.
    public enum Refusal: String, Sendable, Codable, Equatable {
        /// It creates, or changes, a record routed to a Quartier the office does not serve (and
        /// did not serve when it made the change). One code for both: a receipt does not tell
        /// whether the server holds a record of another Quartier's.
        case outsideScope = "outside-scope"
        /// It carries a version the server holds with another value.
        case conflictingDot = "conflicting-dot"
        /// It brings no write the server lacks, yet would drop or change what the server holds.
        case rewritesKnownVersions = "rewrites-known-versions"
        /// It brings a version of another office's replica that the server does not hold.
        case foreignVersion = "foreign-version"

        /// What servers before ``outsideScope`` said for a new record of another Quartier
        /// (and `changed-outside-scope` for a known one); clients still read it from old servers.
        public static let legacyCreatedOutsideScope = "created-outside-scope"

        /// What the office is told, without a value: what it did and what to do.
        public var explanation: String {
            switch self {
            case .outsideScope:
                "the record belongs to a Quartier this office does not serve; give it one of this "
                    + "office's Quartiere if this office created it, else ask an office of that "
                    + "Quartier (or the server admin) to change it"
            case .conflictingDot:
                "a version of the record arrives with another value than the server holds for it: this "
                    + "replica reuses version numbers (a copy of another office's replica file, or one "
                    + "restored from an old backup); make a new replica with 'syncctl init' and enter its "
                    + "unsynced changes there"
            case .rewritesKnownVersions:
                "the change brings nothing the server lacks but would remove what it holds; pull first "
                    + "('syncctl sync' does), then edit the record again"
            case .foreignVersion:
                "the record carries a change by another office that the server does not hold yet (a server "
                    + "restored from a backup lost it): it is sent again at every sync and taken once that "
                    + "office has synced; nothing to do here unless it stays refused for days (then tell "
                    + "the server admin)"
            }
        }
    }

    /// Whether `incoming` may be written over `stored` (nil: the server does not hold the
    /// record), where `formerRoutes` are the Quartiere the record was routed to before.
    /// - Returns: nil when the write is allowed, else why it is refused.
    public func refusal(of incoming: RecordState, stored: RecordState?, formerRoutes: Set<String>) -> Refusal? {
        guard let verdict = scopeRefusal(of: incoming, stored: stored, formerRoutes: formerRoutes) else {
            return addsForeignVersion(incoming, stored) ? .foreignVersion : nil
        }
        return verdict
    }

    /// Whether `incoming` adds a version (one `stored` does not cover) of another office's
    /// replica, numbered beyond what that replica reached at the server.
    func addsForeignVersion(_ incoming: RecordState, _ stored: RecordState?) -> Bool {
        guard !othersReached.isEmpty else { return false }
        return incoming.context.counters.contains { replica, counter in
            guard let reached = othersReached[replica] else { return false }
            return counter > reached && counter > (stored?.context[replica] ?? 0)
        }
    }

    func scopeRefusal(of incoming: RecordState, stored: RecordState?, formerRoutes: Set<String>) -> Refusal? {
        guard let stored else {
            if Quartier.scope(quartiers, covers: incoming.route) { return nil }
            // Created here and moved on before the server heard of it (or a restored server
            // lost it): the move replaced a route of this office's.
            let route = incoming.fields[index: RecordState.routingFieldIndex].shown()
            if Quartier.scope(quartiers, covers: route?.replaced?.text) { return nil }
            // Moved more than once before the server heard of it: the fold keeps the last move
            // only. Made by this office's replicas alone, it is this office's new record (a
            // single move from its own Quartier would be taken anyway).
            let movedOnlyHere =
                route?.replaced != nil && !replicas.isEmpty
                && incoming.context.counters.keys.allSatisfy(replicas.contains)
            return movedOnlyHere ? nil : .outsideScope
        }
        let known = incoming.context.isDominated(by: stored.context)
        // A record of another Quartier: the office may write it only as one of the cases below,
        // and is told nothing else about it (the same code as for a record the server lacks).
        if !Quartier.scope(quartiers, covers: stored.route) {
            // Known already and changing nothing (an office sending again what it held) — not
            // even the record's `updated_at`, which merges as the later text.
            if known, Self.keepsEverything(incoming, stored), !Self.reusesDot(incoming, stored),
                (incoming.updatedAt ?? "") <= (stored.updatedAt ?? "")
            {
                return nil
            }
            guard mayWriteOutsideScope(incoming, stored, formerRoutes) else { return .outsideScope }
        }
        if Self.reusesDot(incoming, stored) { return .conflictingDot }
        // Known already: it may change nothing.
        if known { return Self.keepsEverything(incoming, stored) ? nil : .rewritesKnownVersions }
        return nil
    }

    /// Whether this office may write `incoming` over `stored`, a record routed to a Quartier it
    /// does not serve.
    func mayWriteOutsideScope(_ incoming: RecordState, _ stored: RecordState, _ formerRoutes: Set<String>) -> Bool {
        // Made on a version routed to this office, before it heard the record had moved on.
        if formerRoutes.contains(where: { Quartier.scope(quartiers, covers: $0) }),
            incoming.context.compare(stored.context) == .concurrent,
            Self.madeOnKnownVersion(incoming, stored)
        {
            return true
        }
        // Moved away by this office, and changed on the version holding its move.
        // (Or only this office ever wrote it: it created it and moved it away before syncing.)
        let ownRecord = !replicas.isEmpty && stored.context.counters.keys.allSatisfy(replicas.contains)
        return (movedAwayHere(incoming, stored) || ownRecord) && addsOnlyOwnVersions(incoming, stored)
            && keepsOthersVersions(incoming, stored)
    }

    /// Whether the route `stored` holds is a move by one of this office's replicas away from a
    /// Quartier of its own, and `incoming` was made on it (keeps it, or replaced it).
    func movedAwayHere(_ incoming: RecordState, _ stored: RecordState) -> Bool {
        stored.fields[index: RecordState.routingFieldIndex].contains { move in
            replicas.contains(move.dot.replica) && incoming.context.covers(move.dot)
                && Quartier.scope(quartiers, covers: move.replaced?.text)
        }
    }

    /// Whether `incoming` keeps every version of another office's replicas that `stored` holds
    /// and its vector covers: merging it drops nothing somebody else wrote.
    func keepsOthersVersions(_ incoming: RecordState, _ stored: RecordState) -> Bool {
        func kept<Value>(_ held: [Sibling<Value>], _ carried: [Sibling<Value>]) -> Bool {
            held.allSatisfy { version in
                replicas.contains(version.dot.replica) || !incoming.context.covers(version.dot)
                    || carried.contains { $0.dot == version.dot }
            }
        }
        guard kept(stored.alive, incoming.alive) else { return false }
        return stored.table.fields.indices.allSatisfy { kept(stored.fields[index: $0], incoming.fields[index: $0]) }
    }

    /// Whether every version of `incoming` that `stored`'s vector does not cover was made by
    /// one of this office's replicas.
    func addsOnlyOwnVersions(_ incoming: RecordState, _ stored: RecordState) -> Bool {
        incoming.context.counters.allSatisfy { replica, counter in
            counter <= stored.context[replica] || replicas.contains(replica)
        }
    }

    /// Whether `incoming` carries a version `stored` holds (the same dot, for existence or the
    /// same field) with another value. An erased value is no other value: tombstones forget.
    static func reusesDot(_ incoming: RecordState, _ stored: RecordState) -> Bool {
        for sibling in incoming.alive {
            if let held = stored.alive.first(where: { $0.dot == sibling.dot }), held.value != sibling.value {
                return true
            }
        }
        for index in incoming.table.fields.indices {
            let held = stored.fields[index: index]
            guard !held.isEmpty else { continue }
            for sibling in incoming.fields[index: index] {
                guard let twin = held.first(where: { $0.dot == sibling.dot }) else { continue }
                switch (twin.value, sibling.value) {
                case (.erased, _), (_, .erased): continue
                case (let left, let right) where left != right: return true
                default: continue
                }
            }
        }
        return false
    }

    /// Whether merging `incoming` (covered by `stored`'s vector) leaves every version of
    /// `stored` in place: the same versions of existence and of every field. (Values the
    /// server erased may come back: they are the same versions.)
    static func keepsEverything(_ incoming: RecordState, _ stored: RecordState) -> Bool {
        let merged = MergeKernel.merge(local: stored, incoming: incoming).state
        guard merged.alive.map(\.dot) == stored.alive.map(\.dot) else { return false }
        for index in stored.table.fields.indices
        where merged.fields[index: index].map(\.dot) != stored.fields[index: index].map(\.dot) {
            return false
        }
        return true
    }

    /// Whether `incoming` keeps a field version that `stored` covers: it was made on a version
    /// of the record (an edit, a delete or a move keeps the versions of what it did not
    /// write), not written over its id (an insert writes every field anew).
    static func madeOnKnownVersion(_ incoming: RecordState, _ stored: RecordState) -> Bool {
        incoming.fields.values.contains { siblings in siblings.contains { stored.context.covers($0.dot) } }
    }
}
