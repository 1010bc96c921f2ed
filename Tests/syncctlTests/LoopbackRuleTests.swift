import Foundation
import SyncProtocol
import TestSupport
import Testing

/// Plain HTTP is allowed without being asked for only to this machine, and "this machine" is
/// decided by parsing the host as an address, never by how its name begins.
@Suite("Loopback rule")
struct LoopbackRuleTests {
    static let lookalikes = ["127.evil.example", "127.0.0.1.nip.io", "localhost.example.org", "[::ffff:127.0.0.1]"]

    @Test("addresses of this machine are loopback; names that only look like them are not")
    func byAddress() {
        for host in ["127.0.0.1", "127.3.2.1", "localhost", "LOCALHOST", "::1", "[::1]", "0:0:0:0:0:0:0:1"] {
            #expect(Wire.isLoopback(host), "\(host)")
        }
        for host in Self.lookalikes + ["128.0.0.1", "::2", "127.1", "", "localhost."] {
            #expect(!Wire.isLoopback(host), "\(host)")
        }
    }

    @Test("syncctl init refuses plain http to a look-alike name without --allow-insecure, and names the way out")
    func initRefusesLookalikes() throws {
        for host in Self.lookalikes {
            let cli = try CLI()
            defer { cli.cleanUp() }
            let result = try cli.run(
                ["init", "--office", "Kuckuck", "--server", "http://\(host):8080", "--token-file", "-"],
                input: "qs_" + String(repeating: "A", count: 43))
            #expect(result.status != 0, "\(host) was taken as this machine")
            #expect(result.error.contains("--allow-insecure"), "\(host): \(result.error)")
        }
    }
}
