/// Reads what ``BinaryWriter`` wrote; every read checks bounds and throws on damage.
struct BinaryReader {
    private let bytes: [UInt8]
    private(set) var offset: Int
    /// Entries (versions, vector entries, replica ids) still allowed to be decoded: a version
    /// takes 5 bytes on the wire and some 80 in memory, so the bytes alone do not bound memory.
    private(set) var entriesLeft: Int

    init(_ bytes: [UInt8], offset: Int = 0, entries: Int = .max) {
        self.bytes = bytes
        self.offset = offset
        entriesLeft = entries
    }

    /// Takes `count` entries from the budget, or throws when it is spent.
    mutating func spend(_ count: Int) throws(EncodingError) {
        guard count <= entriesLeft else {
            throw .malformed("it holds more versions than one batch may carry")
        }
        entriesLeft -= count
    }

    var isAtEnd: Bool { offset >= bytes.count }

    mutating func byte() throws(EncodingError) -> UInt8 {
        guard offset < bytes.count else { throw .truncated }
        defer { offset += 1 }
        return bytes[offset]
    }

    mutating func varint() throws(EncodingError) -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            let next = try byte()
            guard shift < 64 else { throw .malformed("varint too long") }
            result |= UInt64(next & 0x7f) << shift
            if next & 0x80 == 0 { return result }
            shift += 7
        }
    }

    mutating func signed() throws(EncodingError) -> Int64 {
        let raw = try varint()
        return Int64(bitPattern: raw >> 1) ^ -Int64(bitPattern: raw & 1)
    }

    /// `count`, capped by the bytes left (every element takes at least one): a safe capacity
    /// to reserve for a count read from untrusted input.
    func bounded(_ count: Int) -> Int { Swift.min(count, bytes.count - offset) }

    mutating func count(limit: Int = 1 << 24) throws(EncodingError) -> Int {
        let value = try varint()
        guard value <= UInt64(limit) else { throw .malformed("count \(value) exceeds \(limit)") }
        return Int(value)
    }

    mutating func string() throws(EncodingError) -> String {
        let length = try count()
        guard bytes.count - offset >= length else { throw .truncated }
        defer { offset += length }
        let slice = bytes[offset..<offset + length]
        // Text that is not UTF-8 is damage, not something to repair: a state is stored and
        // passed on as received, so what is accepted must decode the same everywhere. ASCII
        // (ids, dates, most values) needs no validation; validating costs 3× decoding.
        if slice.withUnsafeBufferPointer({ $0.allSatisfy { $0 < 0x80 } }) {
            return String(decoding: slice, as: UTF8.self)
        }
        guard let text = String(validating: slice, as: UTF8.self) else {
            throw .malformed("text that is not UTF-8")
        }
        return text
    }

    mutating func optionalString() throws(EncodingError) -> String? {
        try byte() == 0 ? nil : try string()
    }
}

/// Why stored or received bytes could not be decoded.
package enum EncodingError: Error, Equatable {
    /// The data ended in the middle of a value.
    case truncated
    /// The data is not in the expected format.
    case malformed(String)
}
