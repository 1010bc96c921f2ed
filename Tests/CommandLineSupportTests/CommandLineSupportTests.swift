import ArgumentParser
import CommandLineSupport
import Testing

/// A small command tree like the executables': a group with commands, one nested group.
struct Tool: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "tool", subcommands: [Office.self, Serve.self])

    struct Office: ParsableCommand {
        static let configuration = CommandConfiguration(subcommands: [Add.self, List.self])
        struct Add: ParsableCommand { @Argument var name: String }
        struct List: ParsableCommand {}
    }

    struct Serve: ParsableCommand { @Option var db = "x" }
}

@Suite("The executables' shared main")
struct CommandLineSupportTests {
    @Test("a mistyped command is named with the ones meant; options, arguments and help pass through")
    func unknownCommands() {
        #expect(
            UnknownCommand.message(for: ["offce", "add"], root: Tool.self)
                == "'offce' is not a command of 'tool': did you mean 'office'? ('tool --help' lists them)")
        #expect(
            UnknownCommand.message(for: ["office", "ad", "--quartiers", "x"], root: Tool.self)
                == "'ad' is not a command of 'tool office': did you mean 'add'? ('tool office --help' lists them)")
        #expect(UnknownCommand.message(for: ["office", "remove"], root: Tool.self)?.contains("did you mean") == false)
        for fine in [["office", "add", "Kuckuck"], ["serve", "--db", "y"], ["--help"], ["help", "office"], []] {
            #expect(UnknownCommand.message(for: fine, root: Tool.self) == nil, "\(fine)")
        }
        #expect(UnknownCommand.message(for: ["demo"], root: Tool.self, movedAway: ["demo": "gone"]) == "gone")
        #expect(
            UnknownCommand.message(for: ["office", "demo"], root: Tool.self, movedAway: ["demo": "gone"]) != "gone")
    }

    @Test("control characters are written out for a terminal, and escaped in JSON; plain text is left alone")
    func terminal() {
        #expect(Terminal.safe("Max\u{1B}]0;x\u{07} Muster") == "Max\\u{1B}]0;x\\u{7} Muster")
        #expect(Terminal.safe("Zeile 1\nZeile\t2 · Südstadt") == "Zeile 1\nZeile\t2 · Südstadt")
        #expect(Terminal.json("\"a\u{9B}b\u{7F}\"") == "\"a\\u009bb\\u007f\"")
        #expect(Terminal.safe("\u{9B}31m") == "\\u{9B}31m")
    }
}
