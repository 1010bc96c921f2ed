import Foundation
import TestSupport
import Testing

/// The scripts in `scripts/` run as a person would run them, with the `syncctl` this test run
/// built (a script builds it itself when run by hand). `scripts/check-format` is run by
/// `.ci/run` on every submission.
@Suite("Scripts")
struct ScriptTests {
    /// The package's root: three levels above this file.
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path

    @Test("scripts/walkthrough works offline: edits through syncctl and the sqlite3 shell count as pending")
    func walkthrough() throws {
        let result = try Command.run(
            "/bin/bash", [Self.root + "/scripts/walkthrough"], environment: ["SYNCCTL": Binaries.syncctl])
        #expect(result.status == 0, "\(result.error)")
        // The contact's id reached the activity as its organiser, the shell's rows were
        // captured, and a wrong Handlungsfeld was refused.
        #expect(result.output.contains("Arbeitskreis Gemeinwesenarbeit"), "\(result.output)")
        #expect(result.output.contains("Max Muster"), "\(result.output)")
        #expect(result.output.contains("\"pendingChanges\":5"), "\(result.output)")
        #expect(result.error.contains("handlungsfeld is not a known Handlungsfeld"), "\(result.error)")
    }
}
