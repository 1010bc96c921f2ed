import Foundation
import GRDB
import SyncCore
import SyncProtocol
import SyncServer
import SyncStore
import TestSupport
import Testing

@testable import SyncKernel

/// Issue #25's property: an office's token cannot change a single byte of another Quartier's
/// records at the server, whatever states it crafts. Nordstadt pushes states made from real
/// ones — its own, shared ones and (as if leaked) Altstadt's and Kuckuck's — with dots,
/// counters, vectors, erased twins, routes, replica ids and clocks changed; after every push
/// the records of Altstadt and Kuckuck are byte for byte what they were, the server answers
/// every push, and every office still syncs afterwards.
///
/// `QS_CRAFTED_MUTATIONS=N` sets the number of crafted states (10,000 by default), and
/// `QS_CRAFTED_SEED=N` replays a run.
@Suite("Crafted states, generated")
struct CraftedStatePropertyTests {
    static let seed =
        ProcessInfo.processInfo.environment["QS_CRAFTED_SEED"].flatMap(UInt64.init)
        ?? UInt64.random(in: 0..<1_000_000)
    static let mutations = ProcessInfo.processInfo.environment["QS_CRAFTED_MUTATIONS"].flatMap(Int.init) ?? 10_000

    @Test("no crafted state changes a record outside the pushing office's Quartiere; every office syncs afterwards")
    func craftedStatesChangeNothingOutsideScope() async throws {
        print("crafted states: seed \(Self.seed), \(Self.mutations) states: replay with QS_CRAFTED_SEED=\(Self.seed)")
        var rng = SeededGenerator(seed: Self.seed)
        let network = try InProcessNetwork()
        let altstadt = try network.office("Altstadt")
        let kuckuck = try network.office("Kuckuck")
        let nordstadt = try network.office("Nordstadt")
        let scopes: [(Replica, [String])] = [
            (altstadt, ["altstadt"]), (kuckuck, ["kuckuck"]), (nordstadt, ["nordstadt"]),
        ]
        // Real records with real histories: created, edited, deleted, shared, in conflict.
        for (office, quartier) in [(altstadt, "altstadt"), (kuckuck, "kuckuck"), (nordstadt, "nordstadt")] {
            for index in 0..<12 {
                let route = index % 4 == 0 ? Quartier.shared : quartier
                let row = try office.insert(
                    .contacts,
                    values: ["name": "Kontakt \(index)", "quartier": route, "phone": "05151 \(index)"])
                if index % 3 == 1 { try office.update(.contacts, id: row.id!, changes: ["notes": "Rückruf"]) }
                if index % 5 == 2 { try office.delete(.contacts, id: row.id!) }
            }
            _ = try office.insert(
                .activities,
                values: [
                    "title": "Stadtteilfest", "quartier": quartier, "starts_at": "2026-06-13T14:00",
                    "handlungsfeld": "zusammenleben",
                ])
        }
        for _ in 0..<2 {
            for (office, scope) in scopes { try await network.sync(office, scope) }
        }
        let attacker = try await network.upstream(for: nordstadt, ["nordstadt"]).office
        let foreign = try Self.foreignRecords(network.server, outside: ["nordstadt", Quartier.shared])
        try #require(foreign.count >= 20, "too few records of other Quartiere to test")
        // (Shared records are anybody's to write: only Altstadt's own are compared.)
        func altstadtsOwn() throws -> [RecordValues] {
            try altstadt.records(.contacts).filter { $0["quartier"] == "altstadt" }
        }
        let altstadtRows = try altstadtsOwn()

        // Templates: every state the server holds (the attacker is granted every id and value).
        let templates = try await network.server.changes(since: 0, limit: 100_000).records
        let replicas = [
            altstadt.id, kuckuck.id, nordstadt.id, network.server.id,
            ReplicaID(rawValue: UUID().uuidString.lowercased()),
        ]
        var answered = [String: Int]()
        var crafted = 0
        while crafted < Self.mutations {
            var batch: [RecordState] = []
            for _ in 0..<Int.random(in: 1...4, using: &rng) where crafted < Self.mutations {
                batch.append(
                    Self.mutate(templates.randomElement(using: &rng)!, templates, replicas, &rng))
                crafted += 1
            }
            let receipt = try await network.store.push(
                ChangeBatch(records: batch, offices: [:], cursor: 1, hasMore: false), key: UUID().uuidString,
                from: attacker, replica: nordstadt.id,
                validator: StateValidator(maxFieldLength: 10_000, now: Int64(Date().timeIntervalSince1970 * 1000)))
            for refusal in receipt.refused ?? [] {
                answered[refusal.code, default: 0] += 1
                if ProcessInfo.processInfo.environment["QS_TRACE"] != nil {
                    print("RULE", refusal.message.split(separator: ":").dropFirst().joined(separator: ":"))
                }
            }
            answered["stored", default: 0] += receipt.stored
            let now = try Self.foreignRecords(network.server, outside: ["nordstadt", Quartier.shared])
            let changed = foreign.keys.filter { now[$0] != foreign[$0] }
            if !changed.isEmpty {
                if ProcessInfo.processInfo.environment["QS_TRACE"] != nil {
                    for key in changed {
                        print("BEFORE", (try? RecordState(encoded: [UInt8](foreign[key]!))).map { "\($0)" } ?? "-")
                        print("AFTER ", (try? RecordState(encoded: [UInt8](now[key] ?? Data()))).map { "\($0)" } ?? "-")
                    }
                    for state in batch { print("PUSHED", state) }
                    print("RECEIPT", receipt)
                    print(
                        "REPLICAS altstadt \(altstadt.id) kuckuck \(kuckuck.id) nordstadt \(nordstadt.id) server \(network.server.id)"
                    )
                }
                Issue.record(
                    "crafted states \(batch.map { "\($0.key) ctx \($0.context) alive \($0.alive.map { "\($0.value)@\($0.dot)" }) route \($0.route ?? "-")" }) changed \(changed); seed \(Self.seed)"
                )
                break
            }
        }
        print("crafted states: answers \(answered.sorted { $0.key < $1.key })")
        // Every office still syncs, and Altstadt shows what it showed.
        for _ in 0..<2 {
            for (office, scope) in scopes { try await network.sync(office, scope) }
        }
        // Records handed to Altstadt (a shared record, or a new one: any office may hand a
        // record over) are new rows; every row Altstadt had is as it was.
        let after = Dictionary(uniqueKeysWithValues: try altstadtsOwn().map { ($0.id!, $0) })
        for row in altstadtRows {
            #expect(
                after[row.id!] == row,
                "Altstadt's \(row.id!) changed: \(String(describing: after[row.id!])) was \(row); seed \(Self.seed)")
        }
        print("crafted states: \(after.count - altstadtRows.count) record(s) handed to Altstadt")
        for (office, _) in scopes {
            #expect(try office.status().pendingChanges == 0, "\(office.office) cannot sync any more; seed \(Self.seed)")
        }
    }

    /// The stored states of records routed outside `scope`, by key: what the attacker may not change.
    static func foreignRecords(_ server: StateStore, outside scope: [String]) throws -> [String: Data] {
        try server.reader.read { db in
            var records: [String: Data] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT tbl, id, quartier, state FROM _sync_records") {
                let route: String? = row[2]
                guard !Quartier.scope(scope, covers: route) else { continue }
                let table: String = row[0]
                let id: String = row[1]
                records[table + "/" + id] = row[3]
            }
            return records
        }
    }

    /// One crafted state: `template` with a few of its parts changed.
    static func mutate(
        _ template: RecordState, _ templates: [RecordState], _ replicas: [ReplicaID], _ rng: inout SeededGenerator
    ) -> RecordState {
        var state = template
        func dot() -> Dot {
            let replica = replicas.randomElement(using: &rng)!
            // Mostly counters a store could hold, now and then ones past every bound.
            let plausible: [UInt64] = [
                1, max(1, state.context[replica]), state.context[replica] &+ 1, state.context[replica] &+ 1000,
            ]
            let extreme: [UInt64] = [0, VersionVector.maxCounter, VersionVector.maxCounter + 1, UInt64.max]
            let counters = Int.random(in: 0..<8, using: &rng) == 0 ? extreme : plausible
            return Dot(replica: replica, counter: counters.randomElement(using: &rng)!)
        }
        func time() -> HybridTimestamp {
            let now = Int64(Date().timeIntervalSince1970 * 1000)
            let plausible: [HybridTimestamp] = [
                .zero, HybridTimestamp(milliseconds: now), HybridTimestamp(milliseconds: now + 3_600_000),
                template.latestTime,
            ]
            let extreme = [
                HybridTimestamp(milliseconds: now + 400 * 86_400_000), HybridTimestamp(milliseconds: -1),
                HybridTimestamp(milliseconds: now, logical: UInt32.max),
            ]
            return (Int.random(in: 0..<8, using: &rng) == 0 ? extreme : plausible).randomElement(using: &rng)!
        }
        for _ in 0..<Int.random(in: 1...4, using: &rng) {
            // Weighted towards changes that leave a well-formed state (the validator refuses
            // the rest before they reach the scope rules).
            let kind = [0, 0, 0, 1, 1, 1, 2, 3, 3, 4, 4, 4, 5, 5, 6, 7, 8, 9, 10, 11][
                Int.random(in: 0..<20, using: &rng)]
            switch kind {
            case 0:  // another record's id, or a new one
                state.id =
                    Bool.random(using: &rng)
                    ? templates.randomElement(using: &rng)!.id : UUID().uuidString.lowercased()
            case 1:  // rerouted: the same dot with another route, or a new version of the route
                let route = ["nordstadt", "altstadt", "kuckuck", Quartier.shared, "elsewhere"].randomElement(
                    using: &rng)!
                if Bool.random(using: &rng) {
                    state.fields[index: RecordState.routingFieldIndex] = state.fields[
                        index: RecordState.routingFieldIndex
                    ]
                    .map { Sibling(value: .text(route), dot: $0.dot, time: $0.time) }
                } else {
                    let dot = dot()
                    state.context.add(dot)
                    state.fields[index: RecordState.routingFieldIndex] = [
                        Sibling(value: .text(route), dot: dot, time: time())
                    ]
                }
            case 2:  // a field's versions dropped
                state.fields[index: Int.random(in: 0..<state.table.fields.count, using: &rng)] = []
            case 3:  // a field's value changed under its own dot (a conflicting twin)
                let index = Int.random(in: 0..<state.table.fields.count, using: &rng)
                state.fields[index: index] = state.fields[index: index].map {
                    Sibling(
                        value: [.text("x"), .null, .erased].randomElement(using: &rng)!, dot: $0.dot, time: $0.time)
                }
            case 4:  // a new version of a field
                let index = Int.random(in: 1..<state.table.fields.count, using: &rng)
                let dot = dot()
                state.context.add(dot)
                let new = Sibling(value: FieldValue.text("übernommen"), dot: dot, time: time())
                state.fields[index: index] = Bool.random(using: &rng) ? [new] : state.fields[index: index] + [new]
            case 5:  // deleted, or brought back
                let dot = dot()
                state.context.add(dot)
                state.alive = [Sibling(value: Bool.random(using: &rng), dot: dot, time: time())]
                if state.alive[0].value == false, Bool.random(using: &rng) { state.eraseValues() }
            case 6:  // the vector raised, lowered or emptied
                let replica = replicas.randomElement(using: &rng)!
                var counters = state.context.counters
                switch Int.random(in: 0..<3, using: &rng) {
                case 0: counters[replica] = (counters[replica] ?? 0) &+ UInt64.random(in: 1...5, using: &rng)
                case 1: counters[replica] = nil
                default: counters = [:]
                }
                state.context = VersionVector(counters)
            case 7:  // another record's vector
                state.context = templates.randomElement(using: &rng)!.context
            case 8:  // times moved
                state.alive = state.alive.map { Sibling(value: $0.value, dot: $0.dot, time: time()) }
            case 9:  // existence versions dropped
                state.alive = []
            case 10:  // the table swapped
                var other = RecordState(
                    table: state.table == .contacts ? .activities : .contacts, id: state.id, context: state.context)
                other.alive = state.alive
                state = other
            default:  // versions out of their order, or left as they are
                if Bool.random(using: &rng) {
                    for index in state.table.fields.indices { state.fields[index: index].reverse() }
                }
            }
        }
        if Int.random(in: 0..<5, using: &rng) > 0 {
            MergeKernel.normalise(&state)
            if Bool.random(using: &rng) { MergeKernel.eraseIfDeleted(&state) }
        }
        return state
    }
}
