import Foundation
import TestSupport
import Testing

/// docs/architecture.md's picture of the targets is the code's: each arrow is an `import` of
/// the target it leaves, and every import the picture leaves out is reached through its arrows.
@Suite("Architecture picture")
struct ArchitectureTests {
    /// The package's own modules, which imports are checked for.
    static let modules: Set<String> = [
        "SyncKernel", "SyncStore", "SyncCore", "SyncProtocol", "SyncRemote", "SyncServer", "ProcessHarness",
        "TestSupport", "CommandLineSupport",
    ]

    /// Each target's directory, by the name the picture gives it.
    static let directories = [
        "SyncKernel": "Sources/SyncKernel", "SyncStore": "Sources/SyncStore", "SyncCore": "Sources/SyncCore",
        "SyncProtocol": "Sources/SyncProtocol",
        "SyncRemote": "Sources/SyncRemote", "SyncServer": "Sources/SyncServer",
        "ProcessHarness": "Sources/ProcessHarness", "syncctl": "Sources/syncctl", "sync-server": "Sources/sync-server",
        "quartiersync-demo": "Sources/quartiersync-demo", "sync-bench": "Benchmarks/SyncBench",
        "TestSupport": "Tests/TestSupport", "CommandLineSupport": "Sources/CommandLineSupport",
    ]

    /// The package's modules that the Swift files under `directory` import.
    func imports(in directory: String) throws -> Set<String> {
        let root = ShellBlock.root + "/" + directory
        var found: Set<String> = []
        let files = try #require(FileManager.default.enumerator(atPath: root)).compactMap { $0 as? String }
        for file in files where file.hasSuffix(".swift") {
            for line in try String(contentsOfFile: root + "/" + file, encoding: .utf8).split(separator: "\n") {
                let words = line.split(separator: " ").map(String.init)
                guard let index = words.firstIndex(of: "import"), index + 1 < words.count else { continue }
                guard words[..<index].allSatisfy({ $0.hasPrefix("@") }) else { continue }
                let module = words[index + 1]
                if Self.modules.contains(module) { found.insert(module) }
            }
        }
        return found
    }

    /// The picture's arrows, `from → to`, by target name (a node's label starts with it).
    func pictureArrows() throws -> (nodes: Set<String>, arrows: Set<String>) {
        let text = try String(contentsOfFile: ShellBlock.root + "/docs/architecture.md", encoding: .utf8)
        let start = try #require(text.range(of: "```mermaid\n"))
        let end = try #require(text.range(of: "```", range: start.upperBound..<text.endIndex))
        var names: [String: String] = [:]
        var edges: [(String, String)] = []
        for line in text[start.upperBound..<end.lowerBound].split(separator: "\n").dropFirst() {
            let parts = line.components(separatedBy: "-->").map { $0.trimmingCharacters(in: .whitespaces) }
            var ids: [String] = []
            for part in parts {
                let id = String(part.prefix { $0.isLetter || $0.isNumber })
                if let open = part.range(of: "[\"") {
                    names[id] = String(part[open.upperBound...].prefix { !" <\"".contains($0) })
                }
                ids.append(id)
            }
            if ids.count == 2 { edges.append((ids[0], ids[1])) }
            for id in ids where names[id] == nil { names[id] = id }
        }
        let arrows = Set(edges.map { "\(names[$0.0]!) → \(names[$0.1]!)" })
        return (Set(names.values), arrows)
    }

    @Test(
        "every target is in the picture, each arrow is an import, and every import is an arrow or reached through arrows"
    )
    func pictureMatchesImports() throws {
        let (nodes, arrows) = try pictureArrows()
        #expect(nodes == Set(Self.directories.keys), "picture: \(nodes.sorted())")
        var imported: [String: Set<String>] = [:]
        for (target, directory) in Self.directories {
            let names = Dictionary(uniqueKeysWithValues: Self.directories.map { ($0.value, $0.key) })
            imported[target] = Set(
                try imports(in: directory).map { names["Sources/" + $0] ?? names["Tests/" + $0] ?? $0 }
            )
            .subtracting([target])
        }
        // Reached from `target` through other imports: such an import needs no arrow of its own.
        func reached(from target: String) -> Set<String> {
            var seen: Set<String> = []
            var queue = Array(imported[target] ?? [])
            while let next = queue.popLast() {
                for further in imported[next] ?? [] where seen.insert(further).inserted { queue.append(further) }
            }
            return seen
        }
        var expected: Set<String> = []
        for (target, modules) in imported {
            let indirect = reached(from: target)
            for module in modules where !indirect.contains(module) { expected.insert("\(target) → \(module)") }
        }
        #expect(
            arrows.subtracting(expected).isEmpty,
            "arrows without a direct import: \(arrows.subtracting(expected).sorted())")
        #expect(
            expected.subtracting(arrows).isEmpty, "imports the picture lacks: \(expected.subtracting(arrows).sorted())")
    }
}
