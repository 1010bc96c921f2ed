/// Ids of new records: time-ordered UUIDs (version 7, RFC 9562) in lowercase text.
///
/// The first 48 bits are the creation time in milliseconds, the rest random. Ids made at the
/// same office one after another sort next to each other, so a batch of new records lands on
/// the last pages of every index keyed by id instead of on random pages all over them: the
/// write cost of new records no longer grows with the size of the replica (measured in
/// docs/benchmarks.md). The id says when the record was created, which `created_at` says anyway.
public enum RecordID {
    /// A new id for a record created at `milliseconds` since 1970.
    public static func timeOrdered(milliseconds: Int64) -> String {
        var generator = SystemRandomNumberGenerator()
        return timeOrdered(milliseconds: milliseconds, using: &generator)
    }

    /// A new id with its random bits from `generator` (the benchmark's ids are reproducible).
    public static func timeOrdered(milliseconds: Int64, using generator: inout some RandomNumberGenerator) -> String {
        let time = UInt64(max(0, milliseconds)) & 0xFFFF_FFFF_FFFF
        let first: UInt64 = generator.next()
        let second: UInt64 = generator.next()
        let high = (time << 16) | 0x7000 | (first & 0x0FFF)
        let low = (UInt64(0b10) << 62) | (second >> 2)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(36)
        let digits = Array("0123456789abcdef".utf8)
        for (index, shift) in stride(from: 60, through: 0, by: -4).enumerated() {
            if index == 8 || index == 12 { bytes.append(UInt8(ascii: "-")) }
            bytes.append(digits[Int((high >> UInt64(shift)) & 0xF)])
        }
        for (index, shift) in stride(from: 60, through: 0, by: -4).enumerated() {
            if index == 0 || index == 4 { bytes.append(UInt8(ascii: "-")) }
            bytes.append(digits[Int((low >> UInt64(shift)) & 0xF)])
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
