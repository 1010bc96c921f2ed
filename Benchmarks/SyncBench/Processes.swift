import Foundation
import SyncCore
import SyncKernel
import SyncRemote
import TestSupport

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

enum Memory {
    /// VmHWM of a live process, in MB.
    static func peakMB(pid: Int32) -> Double {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return 0 }
        for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
            let kb = line.split(separator: " ").compactMap { Double($0) }.first ?? 0
            return kb / 1024
        }
        return 0
    }
}
