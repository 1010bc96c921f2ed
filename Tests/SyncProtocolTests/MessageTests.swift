import Foundation
import SyncProtocol
import Testing

/// The JSON both ends exchange (docs/protocol.md): an office reads what older servers sent,
/// and what the server leaves out is absent, not null.
@Suite("Wire messages")
struct MessageTests {
    @Test("a session from a server before the hand-over of moved records decodes without 'delivered'")
    func olderSession() throws {
        let json = """
            {"office": "Kuckuck", "quartiers": ["kuckuck"], "storeId": "s-1", "head": 42, "acknowledged": 7,
             "knowledge": {"r-1": 9}, "epoch": 0}
            """
        let session = try JSONDecoder().decode(Session.self, from: Data(json.utf8))
        #expect(session.delivered == nil)
        #expect(session.head == 42 && session.acknowledged == 7 && session.knowledge == ["r-1": 9])
    }

    @Test("a receipt with nothing refused carries no 'refused' key, and one from an old server decodes")
    func receipts() throws {
        let plain = PushReceipt(received: 3, stored: 2, alreadyKnown: 1, head: 10)
        let object = try #require(
            try JSONSerialization.jsonObject(with: try JSONEncoder().encode(plain)) as? [String: Any])
        #expect(object["refused"] == nil && object["conflicts"] == nil)
        #expect(object["head"] as? Int == 10)
        let old = try JSONDecoder().decode(
            PushReceipt.self, from: Data(#"{"received": 1, "stored": 1, "alreadyKnown": 0}"#.utf8))
        #expect(old == PushReceipt(received: 1, stored: 1, alreadyKnown: 0))
    }

    @Test("an error body is {\"error\": {\"code\", \"message\"}}")
    func errorBody() throws {
        let body = ErrorBody(code: "slow-down", message: "try again in 3s")
        let object = try #require(
            try JSONSerialization.jsonObject(with: try JSONEncoder().encode(body)) as? [String: [String: String]])
        #expect(object == ["error": ["code": "slow-down", "message": "try again in 3s"]])
    }

    @Test("loopback is decided on the address, never on the name's text")
    func loopback() {
        for host in ["127.0.0.1", "127.8.9.10", "::1", "[::1]", "localhost", "LOCALHOST"] {
            #expect(Wire.isLoopback(host), "\(host)")
        }
        for host in [
            "127.evil.example", "127.0.0.1.nip.io", "localhost.example.org", "::ffff:127.0.0.1", "10.0.0.1", "",
            "128.0.0.1", "::2",
        ] {
            #expect(!Wire.isLoopback(host), "\(host)")
        }
    }

    @Test("gzip is told by its magic bytes")
    func gzipMagic() throws {
        #expect(Wire.isGzip(Array(try Wire.gzip(Array("Quartier".utf8)).readableBytesView)))
        #expect(!Wire.isGzip(Array("Quartier".utf8)))
        #expect(!Wire.isGzip([]))
    }
}
