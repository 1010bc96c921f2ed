import SyncKernel

extension RecordState {
    /// The row an office shows for this state: its visible record, with the time of its last
    /// change; a value no store holds shows as NULL, or as empty text where the column
    /// requires one.
    var shownRow: RecordValues {
        var row = visibleRecord
        row["updated_at"] = updatedAt ?? ""
        for field in table.fields where row[field] == nil && table.requiredFields.contains(field) {
            row[field] = ""
        }
        return row
    }
}

/// The rule of a shown value (issue #24), checked against what the randomised tests know of
/// their own writes: for each field of a visible record, the row shows one of the values its
/// latest concurrent writes (the field's versions) still hold, and NULL only where none holds
/// one; a version is erased only where an office deleted the record after seeing that write.
struct ShownValueRule {
    /// The deletes the test made, by dot, with the record's context at each (what it had seen).
    var deletes: [Dot: VersionVector] = [:]
    /// Notes a write the test made: a delete if it left the record deleted at `dot`.
    mutating func note(_ state: RecordState, dot: Dot) {
        if state.alive.contains(where: { $0.dot == dot && !$0.value }) { deletes[dot] = state.context }
    }

    /// What breaks the rule in `row`, the row shown for the visible `state` (empty: nothing),
    /// and how many of its fields showed a held value over a later erased version: the case the
    /// rule is about (a generator that never reaches it does not test it).
    func complaints(_ state: RecordState, row: RecordValues) -> (found: [String], heldOverErased: Int) {
        var found: [String] = []
        var heldOverErased = 0
        for (index, field) in state.table.fields.enumerated() {
            let versions = state.fields[index: index]
            guard !versions.isEmpty else { continue }
            let held = versions.filter { $0.value != .erased }
            var shown = row[column: index + 1]
            // A required column shows "" where no value is held.
            if shown == "", state.table.requiredFields.contains(field), !held.contains(where: { $0.value == .text("") })
            {
                shown = nil
            }
            if held.isEmpty {
                if shown != nil { found.append("\(state.key).\(field) shows a value no version holds") }
            } else if !held.contains(where: { $0.value.text == shown }) {
                found.append("\(state.key).\(field) shows none of the values its versions \(held.map(\.dot)) hold")
            } else if versions.provisionalWinner()?.value == .erased {
                heldOverErased += 1
            }
            for version in versions where version.value == .erased {
                let seenByDelete = deletes.values.contains { $0.covers(version.dot) }
                if !seenByDelete {
                    found.append("\(state.key).\(field): version \(version.dot) is erased, but no delete had seen it")
                }
            }
        }
        return (found, heldOverErased)
    }
}
