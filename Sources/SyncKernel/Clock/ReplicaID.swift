import Foundation

/// The stable identity of one replica (one office's database, or a relay store).
///
/// A lowercase UUID string, created once when the replica is initialised and never reused.
public struct ReplicaID: RawRepresentable, Hashable, Sendable, Comparable, Codable,
    CustomStringConvertible
{
    /// The lowercase UUID text.
    public var rawValue: String

    /// Wraps an existing identifier.
    public init(rawValue: String) { self.rawValue = rawValue }

    /// A fresh random identifier.
    public static func random() -> ReplicaID {
        ReplicaID(rawValue: UUID().uuidString.lowercased())
    }

    public static func < (lhs: ReplicaID, rhs: ReplicaID) -> Bool { lhs.rawValue < rhs.rawValue }

    public var description: String { rawValue }
}
