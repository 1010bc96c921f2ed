import Foundation
import SyncCore
import TestSupport
import Testing

/// Offices reach the server over TLS with a private certificate authority made at test time
/// (openssl): a sync works with `--ca-file`, and is refused without it or when the server's
/// certificate is for another name. Plain HTTP is refused where it would cross a network.
@Suite("TLS", .serialized)
struct TLSTests {
    let workspace = TemporaryDirectory("quartiersync-tls")

    func openssl(_ arguments: [String]) throws {
        let result = try Command.run("/usr/bin/openssl", arguments)
        #expect(result.status == 0, "openssl \(arguments.first ?? ""): \(result.error)")
    }

    /// A CA, and a server certificate it signs for `names` (SAN entries such as `IP:127.0.0.1`).
    func certificates(names: String, prefix: String) throws -> (ca: String, cert: String, key: String) {
        let ca = workspace.file("ca.pem")
        let caKey = workspace.file("ca.key")
        if !FileManager.default.fileExists(atPath: ca) {
            try openssl([
                "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", caKey,
                "-out", ca, "-days", "2", "-subj", "/CN=QuartierSync Test CA",
            ])
        }
        let key = workspace.file(prefix + ".key")
        let request = workspace.file(prefix + ".csr")
        let cert = workspace.file(prefix + ".pem")
        try openssl([
            "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", key, "-out", request,
            "-subj", "/CN=sync-server",
        ])
        let extensions = workspace.file(prefix + ".ext")
        try "subjectAltName=\(names)\n".write(toFile: extensions, atomically: true, encoding: .utf8)
        try openssl([
            "x509", "-req", "-in", request, "-CA", ca, "-CAkey", caKey, "-CAcreateserial", "-out", cert, "-days", "2",
            "-extfile", extensions,
        ])
        return (ca, cert, key)
    }

    @Test("offices sync over TLS with a private CA; without the CA the certificate is not trusted")
    func syncWithPrivateCA() throws {
        let (ca, cert, key) = try certificates(names: "IP:127.0.0.1,DNS:localhost", prefix: "server")
        let server = try SyncServerProcess.start(in: workspace, arguments: ["--tls-cert", cert, "--tls-key", key])
        defer { server.stop() }
        #expect(server.url.hasPrefix("https://"))
        let kuckuck = try OfficeReplica(
            "Kuckuck", directory: workspace.path, server: server, quartiers: ["kuckuck"],
            initArguments: ["--ca-file", ca])
        let other = try OfficeReplica(
            "Kuckuck Süd", directory: workspace.path, server: server, quartiers: ["kuckuck"],
            initArguments: ["--ca-file", ca])
        #expect(
            try kuckuck.syncctl(["contact", "add", "--name", "Mara Beispiel", "--quartier", "kuckuck"]).status == 0)
        _ = try kuckuck.sync()
        _ = try other.sync()
        #expect(try other.contacts().map { $0["name"] } == ["Mara Beispiel"])

        // Without the CA, the system's authorities do not know the server's certificate.
        let untrusting = try OfficeReplica(
            "Altstadt", directory: workspace.path, server: server, quartiers: ["altstadt"])
        let refused = try untrusting.syncctl(["sync"])
        #expect(refused.status == 75)
        #expect(refused.error.contains("certificate"), "\(refused.error)")
        #expect(refused.error.contains("--ca-file"))
    }

    @Test("a server whose certificate is for another name is refused, even from the trusted CA")
    func wrongName() throws {
        let (ca, cert, key) = try certificates(names: "DNS:sync.example.org", prefix: "other")
        let server = try SyncServerProcess.start(in: workspace, arguments: ["--tls-cert", cert, "--tls-key", key])
        defer { server.stop() }
        let office = try OfficeReplica(
            "Kuckuck", directory: workspace.path, server: server, quartiers: ["kuckuck"],
            initArguments: ["--ca-file", ca])
        try office.syncctl(["contact", "add", "--name", "Mara Beispiel", "--quartier", "kuckuck"])
        let refused = try office.syncctl(["sync"])
        #expect(refused.status == 75)
        #expect(refused.error.contains("certificate"), "\(refused.error)")
        #expect(try office.status()["pendingChanges"] as? Int == 1)
    }

    @Test("syncctl refuses plain http to another host unless allowed; the server refuses to listen there without TLS")
    func plainHTTPOnlyOnLoopback() throws {
        let token = workspace.file("token")
        try ("qs_" + String(repeating: "a", count: 43)).write(toFile: token, atomically: true, encoding: .utf8)
        let replica = workspace.file("office.sqlite")
        // 192.0.2.0/24 is TEST-NET-1: nothing is sent there, init does not connect.
        let refused = try Command.run(
            Binaries.syncctl,
            [
                "init", "--office", "Kuckuck", "--server", "http://192.0.2.10:8080", "--token-file", token, "--replica",
                replica,
            ])
        #expect(refused.status == 65)
        #expect(refused.error.contains("unencrypted"), "\(refused.error)")
        #expect(!refused.error.contains("qs_"))
        let allowed = try Command.run(
            Binaries.syncctl,
            [
                "init", "--office", "Kuckuck", "--server", "http://192.0.2.10:8080", "--token-file", token,
                "--allow-insecure", "--replica", replica,
            ])
        #expect(allowed.status == 0, "\(allowed.error)")

        let serve = try Command.run(
            Binaries.server, ["serve", "--db", workspace.file("server.sqlite"), "--host", "0.0.0.0", "--port", "0"])
        #expect(serve.status != 0)
        #expect(serve.error.contains("TLS"), "\(serve.error)")
        #expect(
            !FileManager.default.fileExists(atPath: workspace.file("server.sqlite")), "a refused start made a store")
    }

    @Test(
        "messages say what happened: https:// to a plain server, a refused token once, an admin's failure without an office's pending edits"
    )
    func messagesSayWhatHappened() throws {
        let server = try SyncServerProcess.start(in: workspace)
        defer { server.stop() }
        let office = try OfficeReplica("Kuckuck", directory: workspace.path, server: server, quartiers: ["kuckuck"])
        let https = server.url.replacingOccurrences(of: "http://", with: "https://")
        let tls = try office.syncctl([
            "remote", "set", "--server", https, "--token-file", workspace.path + "/Kuckuck.token",
        ])
        #expect(tls.status == 0, "\(tls.error)")
        let plain = try office.syncctl(["sync"])
        #expect(plain.status == 75, "\(plain.error)")
        #expect(plain.error.contains("does not speak TLS") && plain.error.contains("http://"), "\(plain.error)")
        #expect(!plain.error.contains("not trusted"), "\(plain.error)")

        let wrong = workspace.file("wrong.token")
        try ("qs_" + String(repeating: "b", count: 43)).write(toFile: wrong, atomically: true, encoding: .utf8)
        #expect(try office.syncctl(["remote", "set", "--server", server.url, "--token-file", wrong]).status == 0)
        let refused = try office.syncctl(["sync"])
        #expect(refused.status == 77, "\(refused.error)")
        #expect(refused.error.components(separatedBy: "ask the server admin").count == 2, "\(refused.error)")
        #expect(refused.error.components(separatedBy: "syncctl remote set").count == 2, "\(refused.error)")

        let adminToken = workspace.file("admin.token")
        try ("qsa_" + String(repeating: "c", count: 43)).write(toFile: adminToken, atomically: true, encoding: .utf8)
        for url in [https, server.url] {
            let admin = try Command.run(
                Binaries.syncctl, ["admin", "offices", "--server", url, "--token-file", adminToken],
                environment: ["HOME": workspace.path])
            #expect(admin.status != 0)
            #expect(!admin.error.contains("local edits"), "\(admin.error)")
            #expect(!admin.error.contains("syncctl remote set"), "\(admin.error)")
        }
    }
}
