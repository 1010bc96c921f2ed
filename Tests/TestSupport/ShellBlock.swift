import Foundation

/// The documentation's shell blocks, as the tests that run them read them.
public enum ShellBlock {
    /// The package's root (TestSupport sits two levels below it).
    public static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path

    /// The first fenced `sh` block after the heading `heading` of the Markdown file at `path`
    /// (relative to the root), checked to lie in that section.
    public static func first(after heading: String, in path: String) throws -> String {
        let markdown = try String(contentsOfFile: root + "/" + path, encoding: .utf8)
        guard let section = markdown.range(of: "\n" + heading + "\n") else {
            throw CommandError("\(path) has no section '\(heading)'")
        }
        let rest = markdown[section.upperBound...]
        guard let start = rest.range(of: "```sh\n"), let end = rest[start.upperBound...].range(of: "\n```\n"),
            !rest[..<start.lowerBound].contains("\n## ")
        else { throw CommandError("the section '\(heading)' of \(path) has no sh block of its own") }
        return String(rest[start.upperBound..<end.lowerBound])
    }
}
