import Foundation
import ProcessHarness
import SyncCore
import SyncKernel
import SyncRemote

/// The executables next to `sync-bench`, run as separate processes like in production.
struct Executables {
    let directory: String

    init(override: String?) {
        directory =
            override
            ?? URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent().path
    }

    var server: String { directory + "/sync-server" }
    var syncctl: String { directory + "/syncctl" }
}
