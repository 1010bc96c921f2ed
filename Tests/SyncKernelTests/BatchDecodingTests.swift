import TestSupport
import Testing

@testable import SyncKernel

/// What a batch decoder must refuse: the first line of defence of a server against a hostile
/// or broken client (the fuzz test sends such bodies to a live server).
@Suite("Batch decoding")
struct BatchDecodingTests {
    /// A batch of one contact named `name`, encoded.
    static func encoded(name: String) -> [UInt8] {
        let state = contact(
            [.a: 1], alive: [(true, .a, 1)], ["quartier": [("kuckuck", .a, 1)], "name": [(name, .a, 1)]])
        return ChangeBatch(records: [state], offices: [:], cursor: 1, hasMore: false, evictions: []).encoded()
    }

    @Test("text in UTF-8 decodes as written, umlauts included")
    func validText() throws {
        let batch = try ChangeBatch(encoded: Self.encoded(name: "Jürgen Größe"))
        #expect(batch.records.first?.fields["name"]?.first?.value == FieldValue("Jürgen Größe"))
    }

    @Test("text that is not UTF-8 is refused, not repaired")
    func invalidUTF8() throws {
        var bytes = Self.encoded(name: "Jxrgen")
        let at = try #require(bytes.firstIndex(of: UInt8(ascii: "x")))
        bytes[at] = 0xC3  // a lead byte followed by 'r': not UTF-8
        #expect(throws: SyncError.self) { try ChangeBatch(encoded: bytes) }
    }

    @Test("a batch cut short anywhere is refused")
    func truncated() {
        let bytes = Self.encoded(name: "Jürgen")
        for length in 0..<bytes.count {
            #expect(throws: SyncError.self) { try ChangeBatch(encoded: Array(bytes.prefix(length))) }
        }
    }

    @Test("a header announcing a million records in a few bytes is refused")
    func hugeCount() {
        let bytes: [UInt8] = Array("QSB2".utf8) + [0x02, 0x00, 0x00, 0x80, 0x80, 0x40, 0x00]
        #expect(throws: SyncError.self) { try ChangeBatch(encoded: bytes) }
    }
}
