import Foundation
import SyncCore
import SyncKernel
import TestSupport
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// The admin's view of the network through a real `sync-server`: conflicts of every Quartier,
/// settled by the server's own write, offices' progress, and `/metrics`.
@Suite("Admin and metrics end to end", .serialized)
struct AdminEndToEndTests {
    /// Two Kuckuck offices with a conflict on a contact, and an Altstadt office.
    struct Network {
        let workspace = TemporaryDirectory("quartiersync-admin")
        let server: SyncServerProcess
        let kuckuck: [OfficeReplica]
        let altstadt: OfficeReplica
        let contact: String
        let adminTokenFile: String

        init(store: StoreKind) throws {
            let server = try SyncServerProcess.start(in: workspace, store: store)
            let directory = workspace.path
            self.server = server
            kuckuck = try ["Kuckuck", "Mobil"].map {
                try OfficeReplica($0, directory: directory, server: server, quartiers: ["kuckuck"])
            }
            altstadt = try OfficeReplica("Altstadt", directory: directory, server: server, quartiers: ["altstadt"])
            let added = try kuckuck[0].syncctl([
                "contact", "add", "--name", "Mara Beispiel", "--quartier", "kuckuck", "--phone", "05151 000001",
                "--json",
            ])
            contact = try #require(try added.object()["id"] as? String)
            adminTokenFile = directory + "/admin.token"
            try round()
            try kuckuck[0].syncctl(["contact", "edit", contact, "--phone", "05151 000002"])
            try kuckuck[1].syncctl(["contact", "edit", contact, "--phone", "05151 000003"])
            try round()
            try server.addAdmin("Koordination").write(toFile: adminTokenFile, atomically: true, encoding: .utf8)
        }

        func round() throws { for office in kuckuck + [altstadt] + kuckuck { _ = try office.sync() } }

        func admin(_ arguments: [String], tokenFile: String? = nil) throws -> Command.Result {
            try Command.run(
                Binaries.syncctl,
                ["admin"] + arguments + ["--server", server.url, "--token-file", tokenFile ?? adminTokenFile],
                environment: ["HOME": workspace.path])
        }
    }

    @Test(
        "an admin finds, understands and settles a conflict through the server; the offices converge",
        arguments: StoreKind.all)
    func adminSettles(store: StoreKind) throws {
        let network = try Network(store: store)
        defer { network.server.stop() }
        let listed = try network.admin(["conflicts", "list", "--json"])
        #expect(listed.status == 0, "\(listed.error)")
        let conflicts = try #require(try listed.json() as? [[String: Any]])
        #expect(conflicts.count == 1)
        let id = try #require(conflicts.first?["id"] as? String)
        #expect(conflicts.first?["quartier"] as? String == "kuckuck")
        let view = try network.admin(["conflicts", "show", id, "--json"]).object()
        #expect(view["ancestor"] as? String == "05151 000001")
        // The hints name the admin's own commands (issue #20: they named the office's, which
        // fail without a replica).
        let list = try network.admin(["conflicts", "list"]).output
        #expect(
            list.contains("'syncctl admin conflicts show ID --server URL --token-file FILE' explains one"), "\(list)")
        let shown = try network.admin(["conflicts", "show", id]).output
        #expect(shown.contains("settle with: syncctl admin conflicts resolve \(id) --take OFFICE"), "\(shown)")
        #expect(shown.contains("--server URL --token-file FILE"), "\(shown)")

        let offices = try #require(try network.admin(["offices", "--json"]).json() as? [[String: Any]])
        let byName = Dictionary(uniqueKeysWithValues: offices.map { ($0["name"] as! String, $0) })
        #expect(byName["Kuckuck"]?["openConflicts"] as? Int == 1)
        #expect(byName["Altstadt"]?["openConflicts"] as? Int == 0)
        #expect(byName["Kuckuck"]?["lastResult"] as? String == "ok")
        #expect(byName["Kuckuck"]?["lastSeenAt"] as? String != nil)

        let settled = try network.admin([
            "conflicts", "resolve", id, "--set", "phone=05151 000004", "--reason", "neue Nummer laut Aushang", "--json",
        ])
        #expect(settled.status == 0, "\(settled.error)")
        #expect(try settled.object()["office"] as? String == "admin:Koordination")
        let behind = try #require(try network.admin(["offices", "--json"]).json() as? [[String: Any]])
        #expect(behind.first { $0["name"] as? String == "Kuckuck" }?["notYetPulled"] as? Int == 2)
        #expect(behind.first { $0["name"] as? String == "Altstadt" }?["notYetPulled"] as? Int == 0)

        try network.round()
        for office in network.kuckuck {
            #expect(try office.status()["openConflicts"] as? Int == 0)
            #expect(try office.replica().record(.contacts, id: network.contact)["phone"] == "05151 000004")
            let history = try office.replica().resolutions()
            #expect(history.map(\.office) == ["admin:Koordination"])
            #expect(history.map(\.reason) == ["neue Nummer laut Aushang"])
        }
        // The audit trail is scoped like the record: Altstadt hears nothing of Kuckuck's contact.
        #expect(try network.altstadt.replica().resolutions().isEmpty)
        #expect((try network.admin(["conflicts", "list", "--json"]).json() as? [Any])?.isEmpty == true)
    }

    @Test(
        "office tokens are refused on admin endpoints, and an office cannot settle another Quartier's conflict",
        arguments: StoreKind.all)
    func officeTokensRefused(store: StoreKind) async throws {
        let network = try Network(store: store)
        defer { network.server.stop() }
        let officeTokenFile = network.workspace.path + "/" + "Kuckuck.token"
        // syncctl tells an office token from an admin token before it asks.
        let refused = try network.admin(["conflicts", "list"], tokenFile: officeTokenFile)
        #expect(refused.status == 65)
        #expect(refused.error.contains("admin tokens start with qsa_"))
        // The server refuses it on every admin endpoint, whatever the client.
        let officeToken = try String(contentsOfFile: officeTokenFile, encoding: .utf8)
        for path in ["/v2/admin/conflicts", "/v2/admin/offices", "/v2/admin/conflicts/c-0"] {
            var request = URLRequest(url: URL(string: network.server.url + path)!)
            request.setValue("Bearer \(officeToken)", forHTTPHeaderField: "Authorization")
            let (data, response) = try await URLSession.shared.data(for: request)
            #expect((response as? HTTPURLResponse)?.statusCode == 403, "\(path)")
            let body = try JSONSerialization.jsonObject(with: data) as? [String: [String: String]]
            #expect(body?["error"]?["code"] == "forbidden")
        }
        let id = try #require((try network.kuckuck[0].replica().conflicts()).first?.id)
        let foreign = try network.altstadt.syncctl(["conflicts", "resolve", id, "--take-shown", "--reason", "x"])
        #expect(foreign.status == 66)
        #expect(try network.kuckuck[0].replica().conflicts().map(\.id) == [id])
    }

    @Test("/metrics counts syncs, changes and conflicts in Prometheus text format", arguments: StoreKind.all)
    func metrics(store: StoreKind) async throws {
        let network = try Network(store: store)
        defer { network.server.stop() }
        let (data, response) = try await URLSession.shared.data(from: URL(string: network.server.url + "/metrics")!)
        #expect((response as? HTTPURLResponse)?.statusCode == 200)
        let text = String(decoding: data, as: UTF8.self)
        func value(_ series: String) -> Double? {
            text.split(separator: "\n").first { $0.hasPrefix(series + " ") }
                .flatMap { Double($0.split(separator: " ").last!) }
        }
        // Setup: 1 insert pushed, then 2 edits pushed (the second one conflicting at the server).
        #expect(value("quartiersync_changes_received_total") == 3)
        #expect(value("quartiersync_conflicts_opened_total") == 1)
        // Two rounds of five syncs (Kuckuck, Mobil, Altstadt, Kuckuck, Mobil), each pulling to the end once.
        #expect(value("quartiersync_syncs_total{result=\"ok\"}") == 10)
        #expect(text.contains("quartiersync_office_last_seen_seconds{office=\"Kuckuck\"}"))
        #expect(text.contains("quartiersync_request_duration_seconds_bucket{"))
        #expect(text.contains("route=\"/v2/push\""))
        // No personal data in the metrics.
        for secret in ["Mara Beispiel", "05151"] { #expect(!text.contains(secret)) }
    }

    /// Issue #20: `office add … --db srv/sever.sqlite` (a typo) made a new empty store and
    /// handed out a token the running server did not know.
    @Test("sync-server commands other than serve refuse a store file that does not exist, and create none")
    func missingStoreRefused() throws {
        let workspace = TemporaryDirectory("quartiersync-nostore")
        let typo = workspace.path + "/sever.sqlite"
        for arguments in [
            ["office", "add", "Kuckuck", "--quartier", "kuckuck", "--db", typo], ["office", "list", "--db", typo],
            ["admin", "add", "Vorstand", "--db", typo],
        ] {
            let result = try Command.run(Binaries.server, arguments)
            #expect(result.status != 0, "\(arguments)")
            #expect(result.error.contains("there is no server store at \(typo)"), "\(result.error)")
            #expect(!result.output.contains("qs_"), "a token was handed out")
            #expect(!FileManager.default.fileExists(atPath: typo), "\(arguments) created the store")
        }
    }

    @Test(
        "--token-file writes a new token into a new 0600 file; an existing file stops the command before anything changes",
        arguments: StoreKind.all)
    func tokenFiles(store: StoreKind) throws {
        let workspace = TemporaryDirectory("quartiersync-tokenfile")
        let server = try SyncServerProcess.start(in: workspace, store: store)
        defer { server.stop() }
        let file = workspace.file("kuckuck.token")
        let added = try Command.run(
            Binaries.server,
            ["office", "add", "Kuckuck", "--quartier", "kuckuck"] + server.storeArguments + [
                "--token-file", file, "--json",
            ])
        #expect(added.status == 0, "\(added.error)")
        #expect(!added.output.contains("qs_"), "the token reached the terminal")
        let token = try String(contentsOfFile: file, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(token.hasPrefix("qs_"))
        let mode = try FileManager.default.attributesOfItem(atPath: file)[.posixPermissions] as? Int
        #expect(mode.map { $0 & 0o777 } == 0o600)
        // The office syncs with it.
        let replica = workspace.file("kuckuck.sqlite")
        let environment = ["HOME": workspace.path]
        let initialised = try Command.run(
            Binaries.syncctl,
            ["init", "--office", "Kuckuck", "--replica", replica, "--server", server.url, "--token-file", file],
            environment: environment)
        #expect(initialised.status == 0, "\(initialised.error)")
        let synced = try Command.run(Binaries.syncctl, ["sync", "--replica", replica], environment: environment)
        #expect(synced.status == 0, "\(synced.error)")
        // A second office into the same file: refused, nothing registered, the file unchanged.
        let again = try Command.run(
            Binaries.server,
            ["office", "add", "Altstadt", "--quartier", "altstadt"] + server.storeArguments + ["--token-file", file])
        #expect(again.status == 65, "\(again.error)")
        #expect(again.error.contains("never overwritten"), "\(again.error)")
        #expect(try String(contentsOfFile: file, encoding: .utf8).contains(token))
        #expect(!(try server.run(["office", "list"] + server.storeArguments).contains("Altstadt")))
        let admin = workspace.file("admin.token")
        #expect(
            try Command.run(
                Binaries.server, ["admin", "add", "leitung"] + server.storeArguments + ["--token-file", admin]
            ).status == 0)
        #expect(try String(contentsOfFile: admin, encoding: .utf8).hasPrefix("qsa_"))
    }
}
