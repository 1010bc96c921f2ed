import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import SyncCore
import SyncKernel
import SyncProtocol
import SyncRemote
import SyncServer
import TestSupport
import Testing

/// SyncRemote's client against the server's real routes, served in this process on a free
/// loopback port (HummingbirdTesting `.live`): HTTP, gzip and JSON as over the network,
/// without a second program.
@Suite("Client against a live in-process server")
struct ClientTests {
    /// Runs `body` with a store and the URL of a server serving it (over HTTPS with `tls`).
    func withServer(
        tls: ServerConfiguration.TLSFiles? = nil, _ body: @Sendable (SQLiteServerStore, String) async throws -> Void
    ) async throws {
        let store = try SQLiteServerStore(inMemoryWith: Logger(label: "quartiersync.test"))
        var logger = Logger(label: "quartiersync.test.server")
        logger.logLevel = .warning
        let app = try SyncServerApplication.build(
            store: store, configuration: ServerConfiguration(port: 0, tls: tls), logger: logger)
        try await app.test(.live) { client in
            let port = try #require(client.port)
            try await body(store, "\(tls == nil ? "http" : "https")://127.0.0.1:\(port)")
        }
    }

    /// A private certificate authority and a server certificate it signs for 127.0.0.1, made
    /// with openssl in `directory`.
    func certificates(in directory: TemporaryDirectory) throws -> (ca: String, tls: ServerConfiguration.TLSFiles) {
        let (ca, caKey) = (directory.file("ca.pem"), directory.file("ca.key"))
        let (cert, key, request) = (
            directory.file("server.pem"), directory.file("server.key"), directory.file("server.csr")
        )
        let extensions = directory.file("server.ext")
        try "subjectAltName=IP:127.0.0.1\n".write(toFile: extensions, atomically: true, encoding: .utf8)
        for arguments in [
            [
                "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", caKey,
                "-out", ca, "-days", "2", "-subj", "/CN=QuartierSync Test CA",
            ],
            [
                "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", key, "-out",
                request, "-subj", "/CN=sync-server",
            ],
            [
                "x509", "-req", "-in", request, "-CA", ca, "-CAkey", caKey, "-CAcreateserial", "-out", cert, "-days",
                "2", "-extfile", extensions,
            ],
        ] {
            let made = try Command.run("/usr/bin/openssl", arguments)
            try #require(made.status == 0, "openssl \(arguments[0]): \(made.error)")
        }
        return (ca, ServerConfiguration.TLSFiles(certificate: cert, key: key))
    }

    @Test("over HTTPS the client trusts the server through its private CA, and refuses it without")
    func tls() async throws {
        let directory = TemporaryDirectory("quartiersync-client-tls")
        let (ca, files) = try certificates(in: directory)
        try await withServer(tls: files) { store, url in
            let kuckuck = try Replica.inMemory(office: "Kuckuck")
            let token = try #require(try await store.addOffice(name: "Kuckuck", quartiers: ["kuckuck"]).token)
            try kuckuck.setRemote(try Remote(server: url, token: token, caFile: ca))
            try kuckuck.insert(.contacts, values: ["name": "Mara Beispiel", "quartier": "kuckuck"])
            #expect(try await RemoteSync().run(kuckuck).sent == 1)

            // Without the CA, the system's authorities do not know the certificate: nothing leaves.
            let untrusting = try Replica.inMemory(office: "Kuckuck")
            try untrusting.setRemote(try Remote(server: url, token: token))
            try untrusting.insert(.contacts, values: ["name": "Max Muster", "quartier": "kuckuck"])
            let error = await #expect(throws: SyncError.self) { try await RemoteSync().run(untrusting) }
            #expect(error?.code == .serverUnreachable, "\(String(describing: error))")
            #expect(error?.message.contains("certificate") == true, "\(String(describing: error))")
            #expect(try untrusting.status().pendingChanges == 1)
            #expect(try await store.states.changes(since: 0).records.count == 1, "only the trusting office's contact")
        }
    }

    /// An office replica in memory, registered for `quartiers` and set to sync with `url`.
    func office(_ name: String, _ quartiers: [String], _ store: SQLiteServerStore, _ url: String) async throws
        -> Replica
    {
        let replica = try Replica.inMemory(office: name)
        let token = try #require(try await store.addOffice(name: name, quartiers: quartiers).token)
        try replica.setRemote(try Remote(server: url, token: token))
        return replica
    }

    @Test("two offices of one Quartier sync through the client: the one's contact reaches the other")
    func twoOffices() async throws {
        try await withServer { store, url in
            let kuckuck = try await office("Kuckuck", ["kuckuck"], store, url)
            let second = try await office("Kuckuck 2", ["kuckuck"], store, url)
            let altstadt = try await office("Altstadt", ["altstadt"], store, url)
            let id = try kuckuck.insert(.contacts, values: ["name": "Mara Beispiel", "quartier": "kuckuck"]).id!
            let pushed = try await RemoteSync().run(kuckuck)
            #expect(pushed.sent == 1)
            #expect(try kuckuck.status().pendingChanges == 0)
            let pulled = try await RemoteSync().run(second)
            #expect(pulled.received == 1)
            #expect(try second.record(.contacts, id: id)["name"] == "Mara Beispiel")
            // Another Quartier's office receives nothing of it.
            _ = try await RemoteSync().run(altstadt)
            #expect(try altstadt.records(.contacts).isEmpty)
        }
    }

    @Test("a refused token ends the sync as unauthorized, naming the token; the edit stays pending")
    func refusedToken() async throws {
        try await withServer { _, url in
            let office = try Replica.inMemory(office: "Kuckuck")
            try office.setRemote(try Remote(server: url, token: "qs_" + String(repeating: "x", count: 43)))
            try office.insert(.contacts, values: ["name": "Mara Beispiel", "quartier": "kuckuck"])
            let error = await #expect(throws: SyncError.self) { try await RemoteSync().run(office) }
            #expect(error?.code == .unauthorized && error?.field == "token", "\(String(describing: error))")
            #expect(try office.status().pendingChanges == 1)
        }
    }

    @Test("an admin's client lists the offices; an office's token on the admin routes is refused")
    func adminClient() async throws {
        try await withServer { store, url in
            let kuckuck = try await office("Kuckuck", ["kuckuck"], store, url)
            _ = try await RemoteSync().run(kuckuck)
            let adminToken = try await store.addAdmin(name: "Koordination")
            let admin = try SyncClient(remote: try Remote(server: url, token: adminToken, admin: true))
            let offices = try await admin.adminOffices()
            #expect(offices.map(\.name) == ["Kuckuck"])
            #expect(try await admin.adminConflicts().isEmpty)
            let officeToken = try #require(try kuckuck.remote()?.token)
            let intruder = try SyncClient(remote: try Remote(server: url, token: officeToken))
            let error = await #expect(throws: SyncError.self) { try await intruder.adminOffices() }
            #expect(error?.code == .unauthorized, "\(String(describing: error))")
        }
    }
}
