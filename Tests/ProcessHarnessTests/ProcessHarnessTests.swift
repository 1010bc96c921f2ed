import ProcessHarness
import Testing

/// The harness the benchmark and the tests start real programs with.
@Suite("Process harness")
struct ProcessHarnessTests {
    @Test("a program's output, error and status are collected; one that runs too long is stopped and says so")
    func command() throws {
        let done = try Command.run("/bin/sh", ["-c", "echo out; echo err >&2; exit 3"])
        #expect(done.status == 3 && done.output == "out\n" && done.error == "err\n" && !done.timedOut)
        let hung = try Command.run("/bin/sh", ["-c", "exec sleep 30"], timeout: 0.5)
        #expect(hung.timedOut && hung.status != 0)
        let fed = try Command.run("/bin/cat", [], input: "Stadtteilfest\n")
        #expect(fed.output == "Stadtteilfest\n")
    }

    @Test("a seeded generator replays its sequence, and two seeds differ")
    func seeded() {
        var first = SeededGenerator(seed: 42)
        var again = SeededGenerator(seed: 42)
        var other = SeededGenerator(seed: 43)
        let a = (0..<8).map { _ in first.next() }
        #expect(a == (0..<8).map { _ in again.next() })
        #expect(a != (0..<8).map { _ in other.next() })
    }
}
