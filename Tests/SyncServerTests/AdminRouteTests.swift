import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import SyncCore
import SyncKernel
import SyncProtocol
import SyncServer
import TestSupport
import Testing

/// The admin's routes in process: who may use them, and the JSON each answers.
@Suite("Admin routes in process")
struct AdminRouteTests {
    typealias Fixture = RouteTests.Fixture

    static let paths: [(String, HTTPRequest.Method)] = [
        ("/v2/admin/conflicts", .get), ("/v2/admin/conflicts/c-0000000000000000", .get),
        ("/v2/admin/conflicts/c-0000000000000000/resolve", .post), ("/v2/admin/offices", .get),
    ]

    @Test("no token or an unknown one: 401; an office's token: 403; each with a JSON error", arguments: paths)
    func refusals(path: String, method: HTTPRequest.Method) async throws {
        let fixture = try await Fixture()
        let cases: [(HTTPFields, HTTPResponse.Status, String)] = [
            (HTTPFields(), .unauthorized, "unauthorized"),
            (fixture.headers(token: "qsa_not-a-token-at-all-here"), .unauthorized, "unauthorized"),
            (fixture.headers(), .forbidden, "forbidden"),
        ]
        try await fixture.app.test(.router) { client in
            for (headers, status, code) in cases {
                try await client.execute(uri: path, method: method, headers: headers) { response in
                    #expect(response.status == status)
                    let decoded = try RouteTests.error(response.body)
                    #expect(decoded.error.code == code)
                }
            }
        }
    }

    @Test(
        "an admin lists conflicts and offices; an unknown conflict is 404; a bad decision 400, changing nothing",
        arguments: StoreKind.all)
    func adminAnswers(store: StoreKind) async throws {
        let fixture = try await Fixture(store: store)
        let token = try await fixture.store.addAdmin(name: "Koordination")
        #expect(token.hasPrefix("qsa_") && token.count >= 47)
        // A conflict at the store: two offices' concurrent edits of one contact.
        let first = try Replica.inMemory(office: "A")
        let second = try Replica.inMemory(office: "B")
        let id = try first.insert(.contacts, values: ["name": "Mara Beispiel", "quartier": "kuckuck"]).id!
        try await second.apply(try first.changes(since: 0, limit: 10), from: .upstream(peer: first.id.rawValue))
        try first.update(.contacts, id: id, changes: ["phone": "1"])
        try second.update(.contacts, id: id, changes: ["phone": "2"])
        // Pushed by two offices of Kuckuck, each from its own replica.
        let kuckuck = try #require(try await fixture.store.office(forToken: fixture.token))
        let otherToken = try #require(
            try await fixture.store.addOffice(name: "Kuckuck Süd", quartiers: ["kuckuck"]).token)
        let other = try #require(try await fixture.store.office(forToken: otherToken))
        for (replica, office) in [(first, kuckuck), (second, other)] {
            let receipt = try await fixture.store.push(
                try replica.outgoing(limit: 10), key: nil, from: office, replica: replica.id,
                validator: StateValidator())
            #expect(receipt.refused == nil)
        }
        let admin = fixture.headers(token: token)
        try await fixture.app.test(.router) { client in
            let conflictID = try await client.execute(uri: "/v2/admin/conflicts", method: .get, headers: admin) {
                response in
                #expect(response.status == .ok)
                let conflicts = try JSONDecoder().decode([ConflictReport].self, from: Data(buffer: response.body))
                #expect(conflicts.count == 1 && conflicts.first?.field == "phone")
                return conflicts.first?.id ?? ""
            }
            try await client.execute(uri: "/v2/admin/offices", method: .get, headers: admin) { response in
                let offices = try JSONDecoder().decode([OfficeOverview].self, from: Data(buffer: response.body))
                #expect(offices.map(\.name) == ["Kuckuck Süd", "Stadtteiltreff Kuckuck"])
                #expect(offices.allSatisfy { $0.openConflicts == 1 && $0.lastSeenAt == nil })
            }
            try await client.execute(
                uri: "/v2/admin/conflicts/c-0000000000000000", method: .get, headers: admin
            ) { response in
                #expect(response.status == .notFound)
                let decoded = try RouteTests.error(response.body)
                #expect(decoded.error.code == "not-found")
            }
            let resolve = "/v2/admin/conflicts/\(conflictID)/resolve"
            for body in [
                "not json", #"{"decision": "keep", "reason": "x"}"#, #"{"decision": "take-shown", "reason": " "}"#,
            ] {
                try await client.execute(uri: resolve, method: .post, headers: admin, body: ByteBuffer(string: body)) {
                    response in
                    #expect(response.status == .badRequest, "\(body)")
                }
            }
            try await client.execute(uri: "/v2/admin/conflicts", method: .get, headers: admin) { response in
                let conflicts = try JSONDecoder().decode([ConflictReport].self, from: Data(buffer: response.body))
                #expect(conflicts.map(\.id) == [conflictID])
            }
            let good = try JSONEncoder().encode(
                ResolveRequest(.take(office: "Stadtteiltreff Kuckuck"), reason: "Rückruf"))
            try await client.execute(uri: resolve, method: .post, headers: admin, body: ByteBuffer(bytes: good)) {
                response in
                #expect(response.status == .ok)
                let entry = try JSONDecoder().decode(Resolution.self, from: Data(buffer: response.body))
                #expect(entry.office == "admin:Koordination" && entry.chosenOffice == "Stadtteiltreff Kuckuck")
            }
            try await client.execute(uri: "/v2/admin/conflicts", method: .get, headers: admin) { response in
                let conflicts = try JSONDecoder().decode([ConflictReport].self, from: Data(buffer: response.body))
                #expect(conflicts.isEmpty)
            }
        }
    }
}
