import ArgumentParser

/// Names a mistyped command before the arguments are parsed: `syncctl contact ad --name x`
/// would otherwise be told about `--name` ("Unknown option"), not about `ad`; `sync-server
/// offce add` is told "did you mean 'office'?".
public enum UnknownCommand {
    /// The message for the first word of `arguments` (after the program's name) that is
    /// neither an option nor a subcommand of the command group it follows; nil when there is
    /// none. A word in `movedAway` right after the program's name is answered with its text
    /// (a command that became a program of its own).
    public static func message(
        for arguments: [String], root: any ParsableCommand.Type, movedAway: [String: String] = [:]
    ) -> String? {
        var path = [root.configuration.commandName ?? "command"]
        var names = commandNames(of: root)
        var groups = root.configuration.subcommands
        for word in arguments {
            // `help` is ArgumentParser's own (`syncctl help contact`).
            guard !groups.isEmpty, !word.hasPrefix("-"), word != "help" else { return nil }
            guard let index = names.firstIndex(of: word) else {
                if path.count == 1, let moved = movedAway[word] { return moved }
                let close = names.filter { distance($0, word) <= 2 || $0.hasPrefix(word) }
                let guess = close.isEmpty ? "" : ": did you mean \(close.map { "'\($0)'" }.joined(separator: " or "))?"
                let group = path.joined(separator: " ")
                return "'\(word)' is not a command of '\(group)'\(guess) ('\(group) --help' lists them)"
            }
            let next: any ParsableCommand.Type = groups[index]
            path.append(word)
            names = commandNames(of: next)
            groups = next.configuration.subcommands
        }
        return nil
    }

    /// The names of `command`'s subcommands, in order.
    private static func commandNames(of command: any ParsableCommand.Type) -> [String] {
        var names: [String] = []
        for subcommand in command.configuration.subcommands {
            names.append(subcommand._commandName)
        }
        return names
    }

    /// The edit distance of two short words.
    static func distance(_ left: String, _ right: String) -> Int {
        let a = Array(left)
        let b = Array(right)
        guard !a.isEmpty else { return b.count }
        guard !b.isEmpty else { return a.count }
        var previous = Array(0...b.count)
        for i in 1...a.count {
            var current = [i] + Array(repeating: 0, count: b.count)
            for j in 1...b.count {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            previous = current
        }
        return previous[b.count]
    }
}
