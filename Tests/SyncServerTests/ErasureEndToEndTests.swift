import Foundation
import SyncCore
import SyncKernel
import TestSupport
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// A person's erasure (DSGVO Art. 17) through the real `sync-server` and `syncctl`: five
/// offices, one of them offline for the whole scenario, a server restored from a backup taken
/// before the order — and the erased values in no byte of any file.
@Suite("Erasure end to end", .serialized)
struct ErasureEndToEndTests {
    /// Fictional person and values, each unique enough to grep for in raw files.
    static let name = "Wiebke Löschtest"
    static let email = "wiebke.loeschtest@example.org"
    static let phone = "05151 909090"
    static let notes = "Sprachcafé dienstags, Zimmer 12"
    static let kuckuckPhone = "05151 909091"
    static let mobilPhone = "05151 909092"
    static let auditReason = "Nummer 05151 909092 am Telefon bestätigt"
    static let offlineNotes = "Offline-Notiz zu Wiebke"
    static let values = [name, email, phone, notes, kuckuckPhone, mobilPhone, auditReason, offlineNotes]

    /// A series of the server's `/metrics`.
    func metric(_ series: String, _ server: SyncServerProcess) async throws -> Double? {
        let (data, _) = try await URLSession.shared.data(from: URL(string: server.url + "/metrics")!)
        return String(decoding: data, as: UTF8.self).split(separator: "\n").first { $0.hasPrefix(series + " ") }
            .flatMap { Double($0.split(separator: " ").last!) }
    }

    /// The erased values found in `path`'s database, WAL and shared-memory files.
    func erasedValues(in path: String) throws -> [String] {
        var found: [String] = []
        for suffix in ["", "-wal", "-shm"] {
            guard let bytes = FileManager.default.contents(atPath: path + suffix) else { continue }
            for value in Self.values where bytes.range(of: Data(value.utf8)) != nil {
                found.append("\(value) in \((path as NSString).lastPathComponent)\(suffix)")
            }
        }
        return found
    }

    @Test(
        "an erasure reaches every office that holds the person, leaves no byte of them in any file, survives an offline office's edit and a restored server"
    )
    func erasureEverywhere() async throws {
        let workspace = TemporaryDirectory("quartiersync-erasure")
        let directory = workspace.path
        let server = try SyncServerProcess.start(in: workspace)
        defer { server.stop() }
        let kuckuck = try OfficeReplica("Kuckuck", directory: directory, server: server, quartiers: ["kuckuck"])
        let mobil = try OfficeReplica("Kuckuck Mobil", directory: directory, server: server, quartiers: ["kuckuck"])
        let altstadt = try OfficeReplica("Altstadt", directory: directory, server: server, quartiers: ["altstadt"])
        let lag = try OfficeReplica("LAG", directory: directory, server: server, quartiers: ["*"])
        let offline = try OfficeReplica("Kuckuck Bus", directory: directory, server: server, quartiers: ["kuckuck"])
        let online = [kuckuck, mobil, altstadt, lag]
        let adminToken = directory + "/admin.token"
        try server.addAdmin("Datenschutz").write(toFile: adminToken, atomically: true, encoding: .utf8)
        func admin(_ arguments: [String]) throws -> Command.Result {
            try Command.run(
                Binaries.syncctl, ["admin"] + arguments + ["--server", server.url, "--token-file", adminToken],
                environment: ["HOME": directory])
        }

        // The person: a contact of Kuckuck with every field, organiser of a Kuckuck activity
        // and of a shared one, a settled conflict whose reason quotes a value.
        let added = try kuckuck.syncctl([
            "contact", "add", "--name", Self.name, "--quartier", "kuckuck", "--email", Self.email, "--phone",
            Self.phone, "--notes", Self.notes, "--json",
        ])
        #expect(added.status == 0, "\(added.error)")
        let person = try #require(try added.object()["id"] as? String)
        var activities: [String] = []
        for quartier in ["kuckuck", "*"] {
            let activity = try kuckuck.syncctl([
                "activity", "add", "--title", "Sprachcafé", "--quartier", quartier, "--starts", "2026-12-08T15:00",
                "--handlungsfeld", "schule-bildung", "--organiser", person, "--json",
            ])
            #expect(activity.status == 0, "\(activity.error)")
            activities.append(try #require(try activity.object()["id"] as? String))
        }
        for office in online + [offline] + online { _ = try office.sync() }
        #expect(try kuckuck.syncctl(["contact", "edit", person, "--phone", Self.kuckuckPhone]).status == 0)
        #expect(try mobil.syncctl(["contact", "edit", person, "--phone", Self.mobilPhone]).status == 0)
        _ = try kuckuck.sync()
        _ = try mobil.sync()
        _ = try kuckuck.sync()
        let conflict = try #require(try kuckuck.replica().conflicts().first?.id)
        let settled = try kuckuck.syncctl([
            "conflicts", "resolve", conflict, "--take", "Kuckuck Mobil", "--reason", Self.auditReason,
        ])
        #expect(settled.status == 0, "\(settled.error)")
        for office in online + [offline] + online { _ = try office.sync() }
        #expect(try offline.replica().record(.contacts, id: person)["phone"] == Self.mobilPhone)
        #expect(try lag.replica().record(.activities, id: activities[1])["organiser_id"] == person)

        // Art. 15 first: the office's report and the network's (found by e-mail) list every
        // record and field held.
        let officeReport = try kuckuck.syncctl(["subject", "report", person, "--json"])
        #expect(officeReport.status == 0, "\(officeReport.error)")
        let report = try officeReport.object()
        let records = try #require(report["records"] as? [[String: Any]])
        #expect(Set(records.compactMap { $0["id"] as? String }) == Set([person] + activities))
        let contactRecord = try #require(records.first { $0["id"] as? String == person })
        let fields = Dictionary(
            uniqueKeysWithValues: (contactRecord["fields"] as? [[String: Any]] ?? []).map {
                ($0["name"] as! String, $0["value"] as? String)
            })
        #expect(fields["name"] == Self.name)
        #expect(fields["email"] == Self.email)
        #expect(fields["phone"] == Self.mobilPhone)
        #expect(fields["notes"] == Self.notes)
        #expect((report["auditEntries"] as? [[String: Any]])?.first?["reason"] as? String == Self.auditReason)
        let outFile = directory + "/auskunft.md"
        let networkReport = try admin(["subject", "report", "--email", Self.email.uppercased(), "--out", outFile])
        #expect(networkReport.status == 0, "\(networkReport.error)")
        let mode = try FileManager.default.attributesOfItem(atPath: outFile)[.posixPermissions] as? Int
        #expect(mode.map { $0 & 0o777 } == 0o600)
        let document = try String(contentsOfFile: outFile, encoding: .utf8)
        for text in [Self.name, Self.email, Self.mobilPhone, Self.notes, person, "Kuckuck Bus", "Kuckuck Mobil"] {
            #expect(document.contains(text), "the report names \(text)")
        }

        // The grep finds what a replica and the server hold before the erasure.
        #expect(try erasedValues(in: kuckuck.path).contains { $0.hasPrefix(Self.notes) })
        #expect(try erasedValues(in: server.database).contains { $0.hasPrefix(Self.email) })

        // A backup taken before the order; the offline office edits the person, unsynced.
        let backup = directory + "/before-erasure.sqlite"
        _ = try server.run(["backup", "--db", server.database, "--to", backup])
        #expect(try offline.syncctl(["contact", "edit", person, "--notes", Self.offlineNotes]).status == 0)

        // The erasure, at Kuckuck, then two syncs of each online office: each confirms the
        // order on the sync after the one that carried it out.
        let erased = try kuckuck.syncctl(["subject", "erase", person, "--reason", "Antrag DS-2026-17"])
        #expect(erased.status == 0, "\(erased.error)")
        #expect(erased.output.contains("Activities that no longer name it as organiser: 2"), "\(erased.output)")
        for office in online + online { _ = try office.sync() }
        let statuses = try #require(try admin(["erasures", "--json"]).json() as? [[String: Any]])
        #expect(statuses.count == 1)
        let status = try #require(statuses.first)
        #expect((status["order"] as? [String: Any])?["reason"] as? String == "Antrag DS-2026-17")
        #expect(
            Set((status["confirmed"] as? [[String: Any]] ?? []).compactMap { $0["office"] as? String })
                == ["Kuckuck", "Kuckuck Mobil"])
        #expect(
            (status["outstanding"] as? [[String: Any]] ?? []).compactMap { $0["office"] as? String }
                == ["Kuckuck Bus"])
        let table = try admin(["erasures"])
        #expect(table.status == 0, "not overdue yet: \(table.error)")
        #expect(table.output.contains("Kuckuck Bus (since"), "\(table.output)")
        let overdue = try admin(["erasures", "--deadline-days", "0"])
        #expect(overdue.status == 65)
        #expect(overdue.error.contains("Kuckuck Bus have not carried it out"), "\(overdue.error)")

        #expect(try await metric("quartiersync_erasures_outstanding", server) == 1)
        #expect(try await metric("quartiersync_erasure_oldest_outstanding_seconds", server) ?? 0 > 0)

        // No byte of the person in any online office's files or the server's.
        for office in [kuckuck, mobil] { #expect(try office.replica().isErased(RecordKey(.contacts, person))) }
        for office in online {
            #expect(try erasedValues(in: office.path) == [], "\(office.name)")
        }
        #expect(try erasedValues(in: server.database) == [])
        #expect(try lag.replica().record(.activities, id: activities[1])["organiser_id"] == nil)
        #expect(try lag.replica().record(.activities, id: activities[1])["title"] == "Sprachcafé")

        // The offline office comes back with its edit: the server sends the order before it
        // takes the office's pushes, so the edit is never sent, and the person is gone there too.
        let back = try offline.syncctl(["sync", "--json"])
        #expect(back.status == 0, "\(back.error)")
        let backReport = try back.object()
        #expect((backReport["refused"] as? [Any])?.isEmpty == true, "\(backReport)")
        #expect(backReport["erased"] as? Int == 2, "the contact and the audit entry about it: \(backReport)")
        for office in online + [offline] + online + [offline] { _ = try office.sync() }
        for office in online + [offline] {
            #expect(try office.contacts().allSatisfy { $0.id != person }, "\(office.name)")
            #expect(try erasedValues(in: office.path) == [], "\(office.name)")
        }
        #expect(try offline.syncctl(["refused", "--json"]).output.contains(person) == false)
        #expect(try erasedValues(in: server.database) == [])
        let after = try #require(try admin(["erasures", "--json"]).json() as? [[String: Any]])
        #expect((after.first?["outstanding"] as? [Any])?.isEmpty == true)
        #expect(
            Set((after.first?["confirmed"] as? [[String: Any]] ?? []).compactMap { $0["office"] as? String })
                == ["Kuckuck", "Kuckuck Mobil", "Kuckuck Bus"])

        #expect(try await metric("quartiersync_erasures_outstanding", server) == 0)

        // The backup taken before the order still holds the person; one taken now does not.
        let check = try Command.run(Binaries.server, ["check-backup", backup, "--db", server.database])
        #expect(check.status == 65, "\(check.error)")
        #expect(check.output.contains("contact \(person): erased"), "\(check.output)")
        #expect(check.output.contains("still holds 1 erased record(s)"), "\(check.output)")
        let fresh = directory + "/after-erasure.sqlite"
        _ = try server.run(["backup", "--db", server.database, "--to", fresh])
        #expect(try Command.run(Binaries.server, ["check-backup", fresh, "--db", server.database]).status == 0)
        #expect(try erasedValues(in: fresh) == [])

        // The server is restored from the backup taken before the order: after the offices'
        // next syncs it serves the person to nobody, a new office included, and has re-learned
        // the order.
        server.stop()
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: server.database + suffix) }
        try FileManager.default.copyItem(atPath: backup, toPath: server.database)
        try server.restart()
        for office in [mobil, kuckuck, offline, altstadt, lag, mobil, kuckuck] { _ = try office.sync() }
        let newcomer = try OfficeReplica("Kuckuck Nord", directory: directory, server: server, quartiers: ["kuckuck"])
        _ = try newcomer.sync()
        for office in online + [offline, newcomer] {
            #expect(try office.contacts().allSatisfy { $0.id != person }, "\(office.name)")
            #expect(try erasedValues(in: office.path) == [], "\(office.name)")
        }
        #expect(try newcomer.replica().isErased(RecordKey(.contacts, person)))
        #expect(try erasedValues(in: server.database) == [])
        let relearned = try #require(try admin(["erasures", "--json"]).json() as? [[String: Any]])
        #expect(relearned.count == 1)
        let final = try admin(["subject", "report", "--id", person, "--json"]).object()
        let finalRecords = try #require(final["records"] as? [[String: Any]])
        #expect(finalRecords.first { $0["id"] as? String == person }?["erased"] as? Bool == true)
        #expect((final["auditEntries"] as? [Any])?.isEmpty == true)
    }
}

/// Retention deadlines through the real server: the rules an admin sets, what they make due,
/// and nothing erased until the admin says so.
@Suite("Retention end to end", .serialized)
struct RetentionEndToEndTests {
    @Test("retention check lists what the rules make due, erases nothing; apply erases it through erasure orders")
    func retention() throws {
        let workspace = TemporaryDirectory("quartiersync-retention")
        let directory = workspace.path
        let server = try SyncServerProcess.start(in: workspace)
        defer { server.stop() }
        let office = try OfficeReplica("Kuckuck", directory: directory, server: server, quartiers: ["kuckuck"])
        let adminToken = directory + "/admin.token"
        try server.addAdmin("Datenschutz").write(toFile: adminToken, atomically: true, encoding: .utf8)
        func admin(_ arguments: [String]) throws -> Command.Result {
            try Command.run(
                Binaries.syncctl,
                ["admin", "retention"] + arguments + ["--server", server.url, "--token-file", adminToken],
                environment: ["HOME": directory])
        }
        func add(_ arguments: [String]) throws -> String {
            let result = try office.syncctl(arguments + ["--quartier", "kuckuck", "--json"])
            #expect(result.status == 0, "\(result.error)")
            return try #require(try result.object()["id"] as? String)
        }
        let oldConsent = try add(["contact", "add", "--name", "Jonas Muster", "--consent-at", "2019-05-01"])
        let freshConsent = try add([
            "contact", "add", "--name", "Aylin Beispiel", "--consent-at",
            String(ISO8601DateFormatter().string(from: Date()).prefix(10)),
        ])
        let oldActivity = try add([
            "activity", "add", "--title", "Stadtteilfest", "--starts", "2015-06-20T14:00", "--handlungsfeld",
            "stadtteilkultur",
        ])
        let recentActivity = try add([
            "activity", "add", "--title", "Sprachcafé", "--starts", "2026-11-20T15:00", "--handlungsfeld",
            "schule-bildung",
        ])
        _ = try office.sync()

        #expect(try admin(["check"]).output.contains("No retention rules set"))
        let broken = directory + "/broken.json"
        try #"{"rules": [{"table": "activities", "consentMonths": 12}]}"#.write(
            toFile: broken, atomically: true, encoding: .utf8)
        let refused = try admin(["set", broken])
        #expect(refused.status == 65)
        #expect(refused.error.contains("retention rule 1: activities take olderThanMonths only"), "\(refused.error)")
        let rules = directory + "/loeschfristen.json"
        try #"{"rules": [{"table": "contacts", "consentMonths": 24}, {"table": "activities", "olderThanMonths": 60}]}"#
            .write(toFile: rules, atomically: true, encoding: .utf8)
        let set = try admin(["set", rules])
        #expect(set.status == 0, "\(set.error)")
        #expect(set.output.contains("Set 2 retention rule(s); 2 record(s) due now."), "\(set.output)")

        let check = try admin(["check", "--json"]).object()
        let due = try #require(check["due"] as? [[String: Any]])
        #expect(Set(due.compactMap { $0["id"] as? String }) == [oldConsent, oldActivity])
        #expect(
            due.first { $0["id"] as? String == oldConsent }?["rule"] as? String
                == "contacts: consent older than 24 months")
        #expect(due.first { $0["id"] as? String == oldConsent }?["since"] as? String == "2019-05-01")
        _ = try office.sync()
        #expect(try office.contacts().count == 2, "a check erases nothing")

        let applied = try admin(["apply", "--reason", "Löschfristen 2026", "--json"])
        #expect(applied.status == 0, "\(applied.error)")
        #expect((try applied.json() as? [Any])?.count == 2)
        _ = try office.sync()
        #expect(try office.contacts().map(\.id) == [freshConsent])
        #expect(try office.replica().records(.activities).map(\.id) == [recentActivity])
        #expect(try office.replica().isErased(RecordKey(.activities, oldActivity)))
        #expect((try admin(["check", "--json"]).object()["due"] as? [Any])?.isEmpty == true)
    }
}
