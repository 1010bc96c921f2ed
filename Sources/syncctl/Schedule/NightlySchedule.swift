import Foundation

/// A nightly sync as a systemd user timer (or a crontab line): what `syncctl schedule` writes,
/// reads back and removes. Pure text and file work; starting systemd is the command's job.
struct NightlySchedule: Equatable {
    /// The replica file (absolute).
    var replica: String
    /// The `syncctl` binary (absolute).
    var executable: String
    /// Hour and minute of the window's start (local time).
    var hour: Int
    var minute: Int
    /// Syncs start at a random moment within this many seconds after the start.
    var windowSeconds: Int
    /// Retries of an unreachable or failing server within the window.
    var retries: Int

    /// The replica's id: it names the units, so two replica files with the same name (in two
    /// directories) get two schedules.
    var replicaID: String

    /// The name the units were found under, when an older version wrote them (see
    /// ``legacyUnitName(replica:)``).
    var legacyName: String?

    /// The name of the units as installed.
    var installedName: String { legacyName ?? unitName }

    /// The units' name: the replica file's name (for people) and the start of its replica id
    /// (for uniqueness), e.g. `quartiersync-sync-kuckuck-3f2a9c1e`.
    var unitName: String { Self.unitName(replica: replica, id: replicaID) }

    static func unitName(replica: String, id: String) -> String {
        let base = safeName(of: replica)
        let short = String(id.lowercased().filter { $0.isHexDigit }.prefix(8))
        return "quartiersync-sync-\(base)-\(short.isEmpty ? "replica" : short)"
    }

    /// What versions before 2026-12 named the units: the file's name alone (two files of one
    /// name shared a schedule). Read and removed, never written.
    static func legacyUnitName(replica: String) -> String { "quartiersync-sync-\(safeName(of: replica))" }

    private static func safeName(of replica: String) -> String {
        let base = URL(fileURLWithPath: replica).deletingPathExtension().lastPathComponent
        let safe = String(base.map { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" ? $0 : "-" })
        return safe.isEmpty ? "replica" : safe
    }

    /// `HH:MM`.
    var at: String { String(format: "%02d:%02d", hour, minute) }

    /// The sync the timer runs.
    var command: [String] {
        [
            executable, "sync", "--replica", replica, "--retry", String(retries), "--retry-window",
            TimeSpan(seconds: windowSeconds).description,
        ]
    }

    var service: String {
        """
        # Written by 'syncctl schedule install'; remove with 'syncctl schedule remove'.
        [Unit]
        Description=QuartierSync nightly sync of \(replica) (replica \(replicaID))
        Wants=network-online.target
        After=network-online.target

        [Service]
        Type=oneshot
        ExecStart=\(command.map(Self.quoted).joined(separator: " ").replacingOccurrences(of: "%", with: "%%"))

        """
    }

    var timer: String {
        """
        # Written by 'syncctl schedule install'; remove with 'syncctl schedule remove'.
        [Unit]
        Description=QuartierSync nightly sync of \(replica) at \(at) within \(TimeSpan(seconds: windowSeconds))

        [Timer]
        OnCalendar=*-*-* \(at):00
        RandomizedDelaySec=\(windowSeconds)
        Persistent=true

        [Install]
        WantedBy=timers.target

        """
    }

    /// The crontab line with the same spread (`shuf`, as `%` would end a crontab command).
    var crontabLine: String {
        "\(minute) \(hour) * * * sleep $(shuf -i 0-\(windowSeconds) -n 1) && "
            + command.map(Self.quoted).joined(separator: " ") + " >/dev/null 2>&1"
    }

    /// Reads back a timer and service written by ``timer`` and ``service`` for the replica
    /// `replicaID`; nil if they are not ours.
    init?(timer: String, service: String, replicaID: String) {
        func value(_ key: String, in text: String) -> String? {
            text.split(separator: "\n").first { $0.hasPrefix(key + "=") }.map { String($0.dropFirst(key.count + 1)) }
        }
        guard let calendar = value("OnCalendar", in: timer), let delay = value("RandomizedDelaySec", in: timer),
            let window = Int(delay), let exec = value("ExecStart", in: service)
        else { return nil }
        let time = calendar.split(separator: " ").last?.split(separator: ":").compactMap { Int($0) } ?? []
        let words = Self.unquoted(exec.replacingOccurrences(of: "%%", with: "%"))
        guard time.count >= 2, words.count >= 2, let at = words.firstIndex(of: "--replica"), at + 1 < words.count
        else { return nil }
        let retries = words.firstIndex(of: "--retry").flatMap { $0 + 1 < words.count ? Int(words[$0 + 1]) : nil } ?? 0
        self.init(
            replica: words[at + 1], replicaID: replicaID, executable: words[0], hour: time[0], minute: time[1],
            windowSeconds: window, retries: retries)
    }

    init(
        replica: String, replicaID: String, executable: String, hour: Int, minute: Int, windowSeconds: Int,
        retries: Int
    ) {
        self.replica = replica
        self.replicaID = replicaID
        self.executable = executable
        self.hour = hour
        self.minute = minute
        self.windowSeconds = windowSeconds
        self.retries = retries
    }

    /// `HH:MM` as hour and minute, or nil.
    static func time(_ text: String) -> (hour: Int, minute: Int)? {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, parts[0].count <= 2, parts[1].count == 2, let hour = Int(parts[0]),
            let minute = Int(parts[1]), (0..<24).contains(hour), (0..<60).contains(minute)
        else { return nil }
        return (hour, minute)
    }

    /// A word for a unit file's ExecStart and for sh: quoted when it holds anything but
    /// letters, digits and `/._-=:`.
    static func quoted(_ word: String) -> String {
        let plain = word.allSatisfy { $0.isLetter || $0.isNumber || "/._-=:+@".contains($0) }
        return plain && !word.isEmpty ? word : "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }

    /// Splits what ``quoted(_:)`` joined.
    static func unquoted(_ line: String) -> [String] {
        var words: [String] = []
        var current = ""
        var inQuote = false
        var started = false
        var index = line.startIndex
        while index < line.endIndex {
            let character = line[index]
            if inQuote {
                if character == "'" { inQuote = false } else { current.append(character) }
            } else if character == "'" {
                inQuote = true
                started = true
            } else if character == "\\", line.index(after: index) < line.endIndex {
                index = line.index(after: index)
                current.append(line[index])
                started = true
            } else if character == " " {
                if started { words.append(current) }
                current = ""
                started = false
            } else {
                current.append(character)
                started = true
            }
            index = line.index(after: index)
        }
        if started { words.append(current) }
        return words
    }
}
