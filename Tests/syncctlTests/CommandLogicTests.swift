import Foundation
import TestSupport
import Testing

@testable import syncctl

/// The command line's own logic as plain functions: time spans, the retry backoff, the
/// nightly schedule's names, times and quoting.
@Suite("Command-line logic")
struct CommandLogicTests {
    @Test("a time span reads s, m, h, d and bare minutes, prints its shortest form, and refuses the rest")
    func timeSpans() {
        let read: [(String, Int)] = [
            ("30s", 30), ("90m", 5400), ("15", 900), ("48h", 172_800), ("2d", 172_800), (" 3H ", 10_800),
        ]
        for (text, seconds) in read { #expect(TimeSpan(argument: text)?.seconds == seconds, "\(text)") }
        let shown: [(Int, String)] = [(172_800, "2d"), (5400, "90m"), (30, "30s"), (7200, "2h"), (0, "0m")]
        for (seconds, text) in shown { #expect(TimeSpan(seconds: seconds).description == text) }
        for text in ["", "m", "-5m", "5w", "1.5h", "9999999999999999999d", "999999999999999999d"] {
            #expect(TimeSpan(argument: text) == nil, "\(text)")
        }
    }

    @Test("the retry backoff doubles from the base, stops at 15 minutes, and waits at least half of it")
    func backoff() {
        var generator = SeededGenerator(seed: 7)
        for attempt in 0..<30 {
            let full = min(30 * pow(2, Double(min(attempt, 20))), 900)
            let wait = Sync.backoff(attempt: attempt, base: 30, using: &generator)
            #expect(wait >= full / 2 && wait <= full, "attempt \(attempt): \(wait) of \(full)")
        }
        // The random part spreads offices that failed together.
        let waits = (0..<20).map { _ in Sync.backoff(attempt: 3, base: 30, using: &generator) }
        #expect(Set(waits).count > 1)
    }

    @Test("schedule names: the file's name and the replica id's start; times as HH:MM; words quoted for sh")
    func schedule() {
        #expect(
            NightlySchedule.unitName(replica: "/home/a/kuckuck.sqlite", id: "3F2A9C1E-0000-4000-8000-000000000001")
                == "quartiersync-sync-kuckuck-3f2a9c1e")
        #expect(NightlySchedule.unitName(replica: "/x/Büro Süd.sqlite", id: "") == "quartiersync-sync-Büro-Süd-replica")
        #expect(NightlySchedule.time("02:30")! == (2, 30))
        #expect(NightlySchedule.time("2:30")! == (2, 30))
        for text in ["24:00", "2:3", "02:60", "0230", "", "-1:30"] {
            #expect(NightlySchedule.time(text) == nil, "\(text)")
        }
        for word in ["plain/path.sqlite", "with space", "it's", "", "$HOME;rm"] {
            let quoted = NightlySchedule.quoted(word)
            #expect(NightlySchedule.unquoted("sync " + quoted) == ["sync", word], "\(word) → \(quoted)")
        }
    }
}
