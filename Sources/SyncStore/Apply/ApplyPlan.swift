import SyncKernel

/// What applying a batch changes, worked out before anything is written.
///
/// Applying runs in three steps: the merge of each incoming state with the stored one
/// (SyncKernel's `MergeKernel`, pure), this plan (pure: which states to store, which rows to
/// show, what leaves, what to push back), and the write of the plan in one transaction
/// (`StateStore.merge`). Only the last step touches the database.
package struct ApplyPlan {
    /// The final state of each record the batch changes, in batch order; a record twice in
    /// the batch appears once, at its last state. `encoded` is set where the state is stored as
    /// received.
    package var changed: [StateTable.Entry] = []
    /// Records pushed to this server with another route than their merged state's: the
    /// offices of that route must hear that the record left it.
    package var formerRoutes: [(key: RecordKey, route: String)] = []
    /// Records that leave this office: evictions whose context covers what it knows.
    package var leaving: [RecordKey] = []
    /// Records another office moved out of this office's Quartiere that carry this replica's
    /// own writes: they stay until every Quartier's offices have pulled past the eviction
    /// (`Replica.evictOutside`), so a server restored from an older backup gets those writes
    /// back from here. The eviction does not say where the record went.
    package var movedOn: [RecordKey] = []
    /// Records this replica knows more about than the batch says, to push back; each once.
    package var relayed: [RecordKey] = []
    /// What the batch did, as reported to the caller.
    package var summary = ApplySummary()
    /// The latest hybrid time in the batch: the store's clock moves past it.
    package var latest = HybridTimestamp.zero

    /// What an office's replica adds to a plan: it holds only the records of its Quartiere,
    /// and lets go of the others when the server's evictions say so. A store without it (the
    /// server's) keeps every record and ignores evictions.
    package struct Holding {
        /// The office's own replica: a pulled eviction of a record holding its writes is
        /// `movedOn`, not `leaving`.
        package var replica: ReplicaID
        /// Records this office keeps until an office of their new Quartier holds them (their
        /// evictions are not applied).
        package var handingOver: Set<RecordKey> = []

        package init(replica: ReplicaID, handingOver: Set<RecordKey> = []) {
            self.replica = replica
            self.handingOver = handingOver
        }
    }

    /// Plans `batch` from `source` against the stored `states` of its records (those of its
    /// evictions included). With `validator` and `scope` (a server taking a push), a state that
    /// breaks a rule or that the pushing office may not write is left out, alone, and listed
    /// in the summary's `refused`; `storedRoutes` are the stored records' former Quartiere.
    /// With `holding`, the store is an office's replica (``Holding``).
    package init(
        batch: ChangeBatch, states: [RecordKey: RecordState], source: StateStore.Source, holding: Holding? = nil,
        validator: StateValidator? = nil, scope: WriteScope? = nil, storedRoutes: [RecordKey: Set<String>] = [:]
    ) {
        var position: [RecordKey: Int] = [:]
        position.reserveCapacity(batch.records.count)
        changed.reserveCapacity(batch.records.count)
        var relayed: [RecordKey] = []
        var recordValidators: [SyncTable: RecordValidator] = [:]
        var pushed = Set<RecordKey>()
        for (index, incoming) in batch.records.enumerated() {
            summary.received += 1
            if let validator {
                // A client sends each record once per push; a record repeated with ever new
                // versions would make its merges grow without bound under the write lock.
                guard pushed.insert(incoming.key).inserted else {
                    summary.refused.append(
                        StateRefusal(
                            key: incoming.key,
                            invalid: SyncError(
                                .invalidInput,
                                "\(incoming.table.singular) \(incoming.id.prefix(64)) breaks a rule: "
                                    + "it appears more than once in one push")))
                    continue
                }
                let recordValidator = recordValidators[incoming.table] ?? RecordValidator(table: incoming.table)
                recordValidators[incoming.table] = recordValidator
                do {
                    try validator.check(incoming, recordValidator)
                } catch {
                    if case .upstream = source {
                        summary.refused.append(StateRefusal(key: incoming.key, pulled: error))
                    } else {
                        summary.refused.append(StateRefusal(key: incoming.key, invalid: error))
                    }
                    continue
                }
            }
            // A record seen earlier in this batch merges with the state it got there.
            let local = position[incoming.key].map { changed[$0].state } ?? states[incoming.key]
            if let scope,
                let refusal = scope.refusal(
                    of: incoming, stored: local, formerRoutes: storedRoutes[incoming.key] ?? [])
            {
                summary.refused.append(StateRefusal(key: incoming.key, scope: refusal))
                continue
            }
            // A pushed change to an erased record is refused: nobody keeps it (merged, the
            // erasure would absorb it anyway), and the office is told why.
            if validator != nil, case .downstream = source, let local, local.isErased, !incoming.isErased,
                !incoming.context.isDominated(by: local.context)
            {
                summary.refused.append(StateRefusal(erased: incoming.key))
                continue
            }
            latest = max(latest, incoming.latestTime)
            let result = MergeKernel.merge(local: local, incoming: incoming)
            switch result.outcome {
            case .alreadyKnown: summary.alreadyKnown += 1
            case .fastForward: summary.fastForwarded += 1
            case .merged: summary.merged += 1
            case .conflicted: summary.conflicted += 1
            }
            // A new record arrives in its canonical form; comparing whole states is only
            // needed where there was something to merge with.
            let asReceived = local == nil ? incoming.isCanonical : result.state == incoming
            if case .upstream = source, !asReceived { relayed.append(incoming.key) }
            // A pushed state routed elsewhere than here tells a store that keeps every record
            // (the server's) where the record has been: the offices of that route must hear
            // that it left (the store may have lost the move, e.g. restored from a backup). The
            // record is announced again with that route among its former ones.
            if case .downstream = source, holding == nil, let route = incoming.route, route != result.state.route {
                formerRoutes.append((incoming.key, route))
                if result.outcome == .alreadyKnown, position[incoming.key] == nil {
                    position[incoming.key] = changed.count
                    changed.append(StateTable.Entry(state: result.state, encoded: nil))
                }
            }
            guard result.outcome != .alreadyKnown else { continue }
            if result.state.openConflictCount > 0 { summary.withOpenConflicts += 1 }
            if result.state.isErased, local?.isErased != true, !summary.erased.contains(incoming.key) {
                summary.erased.append(incoming.key)
            }
            let entry = StateTable.Entry(
                state: result.state, encoded: asReceived ? batch.encodedRecord(at: index) : nil)
            if let earlier = position[incoming.key] {
                changed[earlier] = entry
            } else {
                position[incoming.key] = changed.count
                changed.append(entry)
            }
        }
        if let holding {
            // A record that left this office's scope goes, unless this office knows a write
            // the sender has not seen: then it is pushed back first, and leaves when the
            // sender's next eviction covers that write.
            for eviction in batch.evictions {
                guard let local = states[eviction.key], position[eviction.key] == nil else { continue }
                // A record this office moved away stays until an office of its new Quartier
                // holds it (Replica.evictOutside).
                if holding.handingOver.contains(eviction.key) { continue }
                if local.context.isDominated(by: eviction.context) {
                    if case .upstream = source, local.context.counters[holding.replica] != nil {
                        movedOn.append(eviction.key)
                    } else {
                        leaving.append(eviction.key)
                    }
                } else if case .upstream = source {
                    relayed.append(eviction.key)
                }
            }
            summary.evicted = leaving.count
        }
        var seen = Set<RecordKey>()
        self.relayed = relayed.filter { seen.insert($0).inserted }
        summary.pushedBack = self.relayed.count
    }
}
