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

    /// Issue #20: `remote set --server http://127.0.0.1:80800` was taken, and the next sync
    /// crashed ("Not enough bits to represent the passed value", exit 132).
    @Test("a server URL with a port out of range, a path, a query or a user is refused where it is typed")
    func serverURLsChecked() throws {
        let cli = try CLI()
        defer { cli.cleanUp() }
        let token = "qs_" + String(repeating: "A", count: 43)
        let initialised = try cli.run(
            ["init", "--office", "Kuckuck", "--server", "http://127.0.0.1:8080", "--token-file", "-"], input: token)
        #expect(initialised.status == 0, "\(initialised.error)")
        for (server, says) in [
            ("http://127.0.0.1:80800", "ports run from 1 to 65535"),
            ("http://127.0.0.1:99999", "ports run from 1 to 65535"),
            ("http://127.0.0.1:0", "ports run from 1 to 65535"), ("http://127.0.0.1:8080/v2", "path"),
            ("http://127.0.0.1:8080?x=1", "path, query"), ("http://user@127.0.0.1:8080", "user"),
        ] {
            let set = try cli.run(["remote", "set", "--server", server, "--token-file", "-"], input: token)
            #expect(set.status == 65, "\(server): \(set.status) \(set.error)")
            #expect(set.error.contains(says), "\(server): \(set.error)")
            #expect(!set.error.contains("Fatal error"), "\(server)")
            let admin = try cli.run(
                ["admin", "offices", "--server", server, "--token-file", "-"], replicaFlag: false,
                input: "qsa_" + String(repeating: "A", count: 43))
            #expect(admin.status != 0 && admin.status < 128, "\(server): admin crashed with \(admin.status)")
            #expect(admin.error.contains(says), "\(server): \(admin.error)")
        }
        // The server set before stays.
        let shown = try cli.run(["remote", "show"])
        #expect(shown.output.contains("http://127.0.0.1:8080"), "\(shown.output)")
    }

    @Test(
        "remote set with a new address keeps the token file; remote show names token file, CA and plain HTTP, never the token"
    )
    func remoteSetAndShow() throws {
        let cli = try CLI()
        defer { cli.cleanUp() }
        let token = cli.home + "/office.token"
        try ("qs_" + String(repeating: "D", count: 43)).write(toFile: token, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: token)
        try cli.run(["init", "--office", "Kuckuck", "--server", "http://127.0.0.1:8080", "--token-file", token])
        let moved = try cli.run(["remote", "set", "--server", "http://127.0.0.1:8443"])
        #expect(moved.status == 0, "\(moved.error)")
        let shown = try cli.run(["remote", "show"])
        #expect(shown.output.contains("server:     http://127.0.0.1:8443"), "\(shown.output)")
        #expect(shown.output.contains("token file: \(token)"), "\(shown.output)")
        #expect(!shown.output.contains("qs_"))
        let json = try cli.run(["remote", "show", "--json"]).object()
        #expect(json["tokenFile"] as? String == token)
        #expect(json["allowInsecure"] as? Bool == false)
        let insecure = try cli.run(["remote", "set", "--server", "http://192.0.2.10:8080", "--allow-insecure"])
        #expect(insecure.status == 0, "\(insecure.error)")
        #expect(try cli.run(["remote", "show"]).output.contains("plain HTTP: allowed"))
    }
}
