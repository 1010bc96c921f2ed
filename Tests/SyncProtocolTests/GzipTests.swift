import SyncProtocol
import Testing

/// Bodies are gzip streams (docs/protocol.md); the server takes only whole ones.
@Suite("Gzip bodies")
struct GzipTests {
    static let text = Array(String(repeating: "Stadtteilfest im Kuckuck, Hameln; ", count: 2_000).utf8)

    @Test("a whole stream round-trips, also one of bytes that are not a multiple of eight")
    func roundTrip() throws {
        for count in [0, 1, 7, 8, 9, 4_099, Self.text.count] {
            let bytes = Array(Self.text.prefix(count))
            let zipped = Array(try Wire.gzip(bytes).readableBytesView)
            #expect(try Wire.gunzip(zipped, maxSize: 1 << 20) == bytes)
        }
    }

    @Test("a stream cut short in its trailer, or with a damaged checksum or length, is refused")
    func damagedTrailer() throws {
        let zipped = Array(try Wire.gzip(Self.text).readableBytesView)
        for cut in 1...8 {
            #expect(throws: (any Error).self) { try Wire.gunzip(Array(zipped.dropLast(cut)), maxSize: 1 << 20) }
        }
        for position in [zipped.count - 8, zipped.count - 5, zipped.count - 4, zipped.count - 1] {
            var damaged = zipped
            damaged[position] ^= 0x01
            #expect(throws: (any Error).self) { try Wire.gunzip(damaged, maxSize: 1 << 20) }
        }
    }
}
