import Foundation
import SyncCore
import SyncKernel
import SyncRemote

/// The demo's story: who the offices are, what they record, what they edit offline.
/// All people are fictional; places, organisations and dates are public.
struct DemoScenario {
    let server: DemoServer
    let directory: String

    struct Office {
        let name: String
        let quartier: String
        let replica: Replica
    }

    func office(_ name: String, quartier: String) async throws -> Office {
        let token = try await server.addOffice(name, quartiers: [quartier])
        let replica = try Replica.create(at: "\(directory)/\(quartier == "*" ? "lag" : quartier).sqlite", office: name)
        try replica.setRemote(try Remote(server: server.url, token: token))
        return Office(name: name, quartier: quartier, replica: replica)
    }

    func sync(_ office: Office) async throws -> RemoteSync.Summary {
        try await RemoteSync().run(office.replica)
    }

    func say(_ text: String) { print(text) }

    func play() async throws {
        say("QuartierSync demo — a sync server is running at \(server.url)\n")
        let lag = try await office("Landesarbeitsgemeinschaft (LAG)", quartier: "*")
        let kuckuck = try await office("Stadtteiltreff Kuckuck", quartier: "kuckuck")
        let altstadt = try await office("Quartiersbüro Altstadt", quartier: "altstadt")
        let nordstadt = try await office("Quartiersbüro Nordstadt", quartier: "nordstadt")
        let suedstadt = try await office("Stadtteilbüro Südstadt", quartier: "suedstadt")
        let quartiere = [kuckuck, altstadt, nordstadt, suedstadt]
        say("1. Registered five offices on the server, each with its own token:")
        for office in [lag] + quartiere { say("   - \(office.name) (Quartier \(office.quartier))") }

        // The state-wide network's public 2025 dates and a shared contact.
        let coordinator = try lag.replica.insert(
            .contacts,
            values: [
                "name": "Jana Beispiel", "organisation": "Landesarbeitsgemeinschaft", "role": "Netzwerkkoordination",
                "quartier": "*", "email": "jana.beispiel@example.org",
            ])
        let organiser = coordinator.id
        let dates: [(String, String, String?)] = [
            ("Arbeitskreis Gemeinwesenarbeit", "2025-03-26T10:00", nil),
            ("Bewohner*innen-Initiativen-Treffen", "2025-04-03T17:00", "Gifhorn"),
            ("Austauschtreffen Dialoge mit Ausschüssen", "2025-04-24T14:00", nil),
            ("Bewohner*innen-Initiativen-Treffen", "2025-06-02T17:00", nil),
            ("Arbeitskreis Gemeinwesenarbeit", "2025-06-16T10:00", nil),
            ("Arbeitskreis Gemeinwesenarbeit", "2025-09-03T10:00", nil),
            ("Bewohner*innen-Initiativen-Treffen", "2025-09-25T17:00", nil),
            ("Ausstellungseröffnung im Landtag", "2025-10-06T18:00", "Landtag Niedersachsen, Hannover"),
        ]
        var akJune = ""
        for (title, starts, location) in dates {
            let row = try lag.replica.insert(
                .activities,
                values: [
                    "title": title, "starts_at": starts, "location": location, "quartier": "*",
                    "handlungsfeld": "zusammenleben", "organiser_id": organiser,
                ])
            if starts.hasPrefix("2025-06-16") { akJune = row.id! }
        }
        say("2. The LAG recorded the network's 2025 dates (\(dates.count) activities) and one shared contact.")

        let people: [String: [(String, String)]] = [
            "kuckuck": [("Erika Beispiel", "Mieterbeirat"), ("Mehmet Muster", "Nachbarschaftscafé")],
            "altstadt": [("Anna Probe", "Seniorentreff"), ("Lukas Platzhalter", "Jugendzentrum")],
            "nordstadt": [("Sofia Exempel", "Sprachcafé")],
            "suedstadt": [("Tom Testmann", "Kleingartenverein")],
        ]
        for office in quartiere {
            for (name, organisation) in people[office.quartier] ?? [] {
                try office.replica.insert(
                    .contacts, values: ["name": name, "organisation": organisation, "quartier": office.quartier])
            }
            try office.replica.insert(
                .activities,
                values: [
                    "title": "Stadtteilfest \(office.quartier.capitalized)", "starts_at": "2025-08-23T14:00",
                    "quartier": office.quartier, "handlungsfeld": "stadtteilkultur",
                ])
        }
        say("3. Each quartier office recorded its own (fictional) contacts and a Stadtteilfest, offline.")

        say("\n4. Everyone syncs:")
        for office in [lag] + quartiere + [lag] {
            let summary = try await sync(office)
            say("   \(office.name): sent \(summary.sent), received \(summary.received)")
        }
        for office in quartiere {
            let status = try office.replica.status()
            say("   \(office.name) now holds \(status.contacts) contacts and \(status.activities) activities")
        }
        say(
            "   Kuckuck holds none of Altstadt's contacts: each office receives its Quartier and the shared (*) records only."
        )

        say("\n5. Kuckuck and Altstadt go offline and both edit the June Arbeitskreis:")
        try kuckuck.replica.update(.activities, id: akJune, changes: ["location": "Stadtteiltreff Kuckuck, Hameln"])
        try kuckuck.replica.update(.activities, id: akJune, changes: ["ends_at": "2025-06-16T13:00"])
        try altstadt.replica.update(.activities, id: akJune, changes: ["location": "Bürgerhaus Altstadt, Hameln"])
        try altstadt.replica.update(
            .activities, id: akJune, changes: ["description": "Schwerpunkt: Beteiligung im Quartier"])
        say("   Kuckuck sets location and end time; Altstadt sets location and a description.")
        try kuckuck.replica.update(.contacts, id: organiser!, changes: ["notes": "kommt zum Stadtteilfest"])
        try lag.replica.update(.contacts, id: organiser!, changes: ["phone": "0511 0000000"])
        say("   Kuckuck adds a note to the LAG's shared contact while the LAG changes its phone number.")

        say("\n6. They come back online and sync:")
        for office in [kuckuck, altstadt, lag, kuckuck, altstadt, lag] {
            let summary = try await sync(office)
            say("   \(office.name): sent \(summary.sent), received \(summary.received), conflicts \(summary.conflicts)")
        }

        let activity = try altstadt.replica.record(.activities, id: akJune)
        let contact = try kuckuck.replica.record(.contacts, id: organiser!)
        say("\n7. What merged by itself:")
        say(
            "   end time (Kuckuck) and description (Altstadt) are both on the June Arbeitskreis: ends \(activity["ends_at"] ?? "-"), \"\(activity["description"] ?? "-")\""
        )
        say(
            "   the shared contact has Kuckuck's note and the LAG's new phone (note: \(contact["notes"] != nil ? "yes" : "no"), phone: \(contact["phone"] != nil ? "yes" : "no"))"
        )
        say("\n8. What waits for a person, and how an admin settles it:")
        for conflict in try kuckuck.replica.conflicts() {
            say("   conflict \(conflict.id): \(conflict.table.singular) \(conflict.recordID), field \(conflict.field)")
            if case .some(let ancestor) = conflict.ancestor {
                say("     both edits started from \(ancestor.map { "'\($0)'" } ?? "an empty field")")
            }
            for version in conflict.versions {
                say("     '\(version.value ?? "")' from \(version.office ?? "?")")
            }
            say("   Every office shows '\(conflict.provisionalWinner.value ?? "")' for now (the later edit).")
        }
        let same = try kuckuck.replica.conflicts().map(\.id) == altstadt.replica.conflicts().map(\.id)
        say("   Kuckuck and Altstadt list the same conflict: \(same ? "yes" : "NO")")
        if let conflict = try altstadt.replica.conflicts().first {
            try altstadt.replica.resolve(
                conflict.id, .takeShown, reason: "Raum im Stadtteilzentrum ist gebucht")
            say(
                "   Altstadt keeps the shown value (syncctl conflicts resolve \(conflict.id) --take-shown --reason ...),"
            )
            _ = try await sync(altstadt)
            _ = try await sync(kuckuck)
            let open = try kuckuck.replica.conflicts().count
            let trail = try kuckuck.replica.resolutions().map { "\($0.office): \($0.decision), \"\($0.reason)\"" }
            say(
                "   and after the next syncs Kuckuck lists \(open) open conflicts and the audit entry \(trail.joined(separator: "; "))."
            )
        }

        // A move: the Nachbarschaftscafé's contact now works in the Altstadt.
        let cafe = try kuckuck.replica.records(.contacts, quartier: "kuckuck")
            .first { $0["organisation"] == "Nachbarschaftscafé" }
        if let id = cafe?.id {
            say("\n9. Kuckuck moves its Nachbarschaftscafé contact (\(id.suffix(12))) to the Altstadt, and both sync:")
            try kuckuck.replica.update(.contacts, id: id, changes: ["quartier": "altstadt"])
            let moved = try await sync(kuckuck)
            say(
                "   \(kuckuck.name): sent \(moved.sent); keeps the contact until an Altstadt office holds it "
                    + "(handing over: \(try kuckuck.replica.status().handingOver))")
            let arrived = try await sync(altstadt)
            say("   \(altstadt.name): received \(arrived.received)")
            // The server learns how far an office holds the feed from where its next pull
            // starts: Altstadt's next sync (tonight's, say) tells it; Kuckuck's then lets go.
            _ = try await sync(altstadt)
            let handedOver = try await sync(kuckuck)
            say("   After Altstadt's next sync, \(kuckuck.name) syncs: left this office \(handedOver.evicted)")
            let leftNothing = try kuckuck.replica.state(of: RecordKey(.contacts, id)) == nil
            let atAltstadt = (try? altstadt.replica.record(.contacts, id: id)) != nil
            say(
                "   Kuckuck keeps nothing of it (no row, no stored state): \(leftNothing ? "yes" : "NO"); Altstadt shows it: \(atAltstadt ? "yes" : "NO")"
            )
        }
        say("\nThe server is stopped now; nothing keeps running.")
    }
}
