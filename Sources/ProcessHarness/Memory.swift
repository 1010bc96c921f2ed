import Foundation

/// How much memory a process has held.
public enum Memory {
    /// VmHWM (the peak resident set) of a live process, in MB; 0 when it cannot be read.
    public static func peakMB(pid: Int32) -> Double {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return 0 }
        for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
            let kb = line.split(separator: " ").compactMap { Double($0) }.first ?? 0
            return kb / 1024
        }
        return 0
    }
}
