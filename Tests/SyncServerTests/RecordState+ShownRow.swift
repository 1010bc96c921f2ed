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
