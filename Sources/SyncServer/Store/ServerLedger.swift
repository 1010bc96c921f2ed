import Foundation
import SyncKernel
import SyncProtocol

/// The rules both server stores apply to the rows they read: what `Session.delivered` says, how
/// an office's registration is checked, how an erasure order's proof per office is told. Pure:
/// each store reads the rows its own way and hands them here.
enum ServerLedger {
    /// The Quartiere of an office as stored (a JSON array).
    static func quartiers(json: String) -> [String] {
        (try? JSONDecoder().decode([String].self, from: Data(json.utf8))) ?? []
    }

    /// For each Quartier an active office serves, the furthest position an office serving it
    /// holds (`*`: every office receives shared records).
    static func delivered(_ offices: [(quartiers: [String], holds: Int64)]) -> [String: Int64] {
        var delivered: [String: Int64] = [:]
        for (quartiers, holds) in offices {
            for quartier in Set(quartiers + [Quartier.shared]) {
                delivered[quartier] = max(delivered[quartier] ?? 0, holds)
            }
        }
        return delivered
    }

    /// An office's name and Quartiere, trimmed, or the error that says what is missing.
    static func checkedOffice(name: String, quartiers: [String]) throws -> (String, [String]) {
        let name = name.trimmingCharacters(in: .whitespaces)
        let quartiers = quartiers.map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        guard !name.isEmpty else { throw SyncError(.missingField, "the office name is empty", field: "name") }
        guard !quartiers.isEmpty else {
            throw SyncError(
                .missingField, "an office needs at least one Quartier (or * for the state-wide network)",
                field: "quartier")
        }
        return (name, quartiers)
    }

    /// A replica that syncs for another office.
    static let replicaOfAnotherOffice = SyncError(
        .unauthorized,
        "this replica syncs for another office on this server: a replica file belongs to one office; "
            + "make a new replica for this office with 'syncctl init' (docs/operations.md, "
            + "'A copied or restored replica')")

    /// An active office with when it was last seen, as the erasure list shows it.
    struct Holder {
        var office: Office
        var lastSeen: String?
    }

    /// Each order with the offices that confirmed it and the active offices serving its
    /// record's route (`routes`, by order id; the order's own when the record is gone) that
    /// have not.
    static func erasureStatuses(
        _ orders: [ErasureOrder], routes: [String: String], holders: [Holder],
        confirmations: [String: [ErasureStatus.Confirmation]]
    ) -> [ErasureStatus] {
        orders.map { order in
            let route = routes[order.id] ?? order.quartier
            let confirmed = confirmations[order.id] ?? []
            let done = Set(confirmed.map(\.office))
            let outstanding = holders.filter {
                Quartier.scope($0.office.quartiers, covers: route) && !done.contains($0.office.name)
            }
            .map {
                ErasureStatus.Outstanding(
                    office: $0.office.name, since: max(order.orderedAt, $0.office.createdAt), lastSeen: $0.lastSeen)
            }
            return ErasureStatus(order: order, confirmed: confirmed, outstanding: outstanding)
        }
    }

    /// What an office is sent before it pushes: for each order it has not confirmed (`orders`,
    /// with their erased targets), the target and the order when the record is in `quartiers`,
    /// only the erased target (no person in it) with `everywhere` otherwise.
    static func outstanding(
        _ orders: [(order: RecordState, target: RecordState)], quartiers: [String], everywhere: Bool
    ) -> [RecordState] {
        var records: [RecordState] = []
        for (order, target) in orders where target.isErased {
            if Quartier.scope(quartiers, covers: target.route) {
                records += [target, order]
            } else if everywhere {
                records.append(target)
            }
        }
        return records
    }
}
