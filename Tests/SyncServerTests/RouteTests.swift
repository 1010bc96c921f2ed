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

/// The protocol's routes driven in process (HummingbirdTesting's router client): statuses,
/// JSON bodies and authentication, on a real SQLite server store. The end-to-end suites run the
/// same routes as a real `sync-server` process.
@Suite("Routes in process")
struct RouteTests {
    /// A server store on a temporary file and an office registered on it.
    struct Fixture {
        let directory = TemporaryDirectory("quartiersync-routes")
        let store: any ServerStore
        let token: String

        init(quartiers: [String] = ["kuckuck"], store kind: StoreKind = .sqlite) async throws {
            store = try await kind.openInProcess(in: directory)
            token = try #require(
                try await store.addOffice(name: "Stadtteiltreff Kuckuck", quartiers: quartiers).token)
        }

        /// Every record the store holds (read as an office of every Quartier would pull it).
        func stored() async throws -> [RecordState] {
            let reader = Office(name: "reader", quartiers: ["kuckuck", "altstadt", "nordstadt", "*"], createdAt: "")
            let page = try await store.pull(since: 0, limit: 10_000, for: reader)
            return try ChangeBatch(encoded: page.bytes).records
        }

        /// The store's feed head.
        func head() async throws -> Int64 {
            let office = try #require(try await store.office(forToken: token))
            return try await store.session(for: office, replica: nil).head
        }

        var configuration = ServerConfiguration(port: 0)

        var app: some ApplicationProtocol {
            // A loopback configuration without TLS always builds.
            try! SyncServerApplication.build(store: store, configuration: configuration)
        }

        func headers(token: String? = nil, _ more: [HTTPField.Name: String] = [:]) -> HTTPFields {
            var fields = HTTPFields()
            fields[.authorization] = "Bearer \(token ?? self.token)"
            for (name, value) in more { fields[name] = value }
            return fields
        }

        /// A batch of one new contact of `quartier`, as an office would push it.
        func batch(quartier: String = "kuckuck") throws -> ChangeBatch {
            let office = try Replica.inMemory(office: "Stadtteiltreff Kuckuck")
            _ = try office.insert(.contacts, values: ["name": "Erika Beispiel", "quartier": quartier])
            return try office.outgoing(limit: 10)
        }
    }

    static func error(_ body: ByteBuffer) throws -> ErrorBody {
        try JSONDecoder().decode(ErrorBody.self, from: Data(buffer: body))
    }

    @Test("health answers ok, the protocol version and the store id, without a token", arguments: StoreKind.all)
    func health(store: StoreKind) async throws {
        let fixture = try await Fixture(store: store)
        try await fixture.app.test(.router) { client in
            try await client.execute(uri: "/v1/health", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType]?.hasPrefix("application/json") == true)
                let health = try JSONDecoder().decode(Health.self, from: Data(buffer: response.body))
                #expect(health == Health(storeId: fixture.store.storeID))
            }
        }
    }

    @Test(
        "every office route refuses a missing, malformed, unknown or revoked token with 401 and a JSON error",
        arguments: [
            ("/v2/session", HTTPRequest.Method.get), ("/v2/pull", .get), ("/v2/push", .post), ("/v2/recovery", .post),
        ])
    func unauthorised(path: String, method: HTTPRequest.Method) async throws {
        let fixture = try await Fixture()
        let revoked = try #require(try await fixture.store.addOffice(name: "Altes Büro", quartiers: ["altstadt"]).token)
        try await fixture.store.revokeOffice(name: "Altes Büro")
        var basic = HTTPFields()
        basic[.authorization] = "Basic dXNlcjpwYXNz"
        let attempts: [HTTPFields] = [
            HTTPFields(), basic, fixture.headers(token: "qs_not-a-token"), fixture.headers(token: revoked),
        ]
        try await fixture.app.test(.router) { client in
            for headers in attempts {
                try await client.execute(uri: path, method: method, headers: headers) { response in
                    #expect(response.status == .unauthorized)
                    #expect(response.headers[.wwwAuthenticate] == "Bearer")
                    let decoded = try Self.error(response.body)
                    #expect(decoded.error.code == "unauthorized")
                }
            }
        }
        #expect(try await fixture.head() == 0)
    }

    @Test("the session names the office, its Quartiere and what the store holds", arguments: StoreKind.all)
    func session(store: StoreKind) async throws {
        let fixture = try await Fixture(quartiers: ["kuckuck", "altstadt"], store: store)
        try await fixture.app.test(.router) { client in
            try await client.execute(uri: "/v2/session", method: .get, headers: fixture.headers()) { response in
                #expect(response.status == .ok)
                let session = try JSONDecoder().decode(Session.self, from: Data(buffer: response.body))
                #expect(session.office == "Stadtteiltreff Kuckuck")
                #expect(session.quartiers == ["kuckuck", "altstadt"])
                #expect(session.storeId == fixture.store.storeID)
                #expect(session.head == 0 && session.knowledge.isEmpty && session.epoch == 0)
            }
            let bad = fixture.headers([HTTPField.Name(Wire.replicaHeader)!: "not a replica"])
            try await client.execute(uri: "/v2/session", method: .get, headers: bad) { response in
                #expect(response.status == .badRequest)
                let decoded = try Self.error(response.body)
                #expect(decoded.error.code == "bad-replica")
            }
        }
    }

    @Test(
        "a push is stored once per idempotency key and then served to the office of its Quartier only",
        arguments: StoreKind.all)
    func pushAndPull(store: StoreKind) async throws {
        let fixture = try await Fixture(store: store)
        let other = try #require(
            try await fixture.store.addOffice(name: "Quartiersbüro Altstadt", quartiers: ["altstadt"]).token)
        let batch = try fixture.batch()
        let headers = fixture.headers([
            .contentType: Wire.batchMediaType, HTTPField.Name(Wire.idempotencyHeader)!: "push-1",
        ])
        try await fixture.app.test(.router) { client in
            for _ in 0..<2 {
                try await client.execute(
                    uri: "/v2/push", method: .post, headers: headers, body: ByteBuffer(bytes: batch.encoded())
                ) { response in
                    #expect(response.status == .ok)
                    var receipt = try JSONDecoder().decode(PushReceipt.self, from: Data(buffer: response.body))
                    #expect(receipt.head != nil, "the receipt says where the push lies in the feed")
                    receipt.head = nil
                    #expect(receipt == PushReceipt(received: 1, stored: 1, alreadyKnown: 0, conflicts: 0))
                }
            }
            try await client.execute(uri: "/v2/pull?since=0&limit=10", method: .get, headers: fixture.headers()) {
                response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == Wire.batchMediaType)
                let page = try ChangeBatch(encoded: Array(response.body.readableBytesView))
                #expect(page.records.map(\.id) == batch.records.map(\.id))
            }
            try await client.execute(
                uri: "/v2/pull?since=0&limit=10", method: .get, headers: fixture.headers(token: other)
            ) { response in
                #expect(response.status == .ok)
                let page = try ChangeBatch(encoded: Array(response.body.readableBytesView))
                #expect(page.records.isEmpty)
            }
        }
    }

    @Test(
        "a body that is not a batch, or not gzip though it says so, is refused with 400 and stores nothing",
        arguments: [
            ([UInt8]("hello".utf8), false, "malformed-batch"),
            ([0x51, 0x53, 0x42, 0x32, 0xff], false, "malformed-batch"),
            // A gzip header, then a deflate block of the reserved type 3.
            ([0x1f, 0x8b, 0x08, 0, 0, 0, 0, 0, 0, 0x03, 0x07, 0, 0], true, "bad-encoding"),
        ])
    func malformedPush(body: [UInt8], gzip: Bool, code: String) async throws {
        let fixture = try await Fixture()
        var fields: [HTTPField.Name: String] = [.contentType: Wire.batchMediaType]
        if gzip { fields[.contentEncoding] = "gzip" }
        let headers = fixture.headers(fields)
        try await fixture.app.test(.router) { client in
            try await client.execute(
                uri: "/v2/push", method: .post, headers: headers, body: ByteBuffer(bytes: body)
            ) { response in
                #expect(response.status == .badRequest)
                let decoded = try Self.error(response.body)
                #expect(decoded.error.code == code)
            }
        }
        #expect(try await fixture.head() == 0)
        #expect(try await fixture.stored().isEmpty)
    }

    @Test(
        "a pull with a cursor or page size out of range is refused with 400",
        arguments: [
            ("since=-1", "bad-cursor"), ("since=x", "bad-cursor"), ("limit=0", "bad-limit"),
            ("limit=5001", "bad-limit"),
        ])
    func badPull(query: String, code: String) async throws {
        let fixture = try await Fixture()
        try await fixture.app.test(.router) { client in
            try await client.execute(uri: "/v2/pull?\(query)", method: .get, headers: fixture.headers()) { response in
                #expect(response.status == .badRequest)
                let decoded = try Self.error(response.body)
                #expect(decoded.error.code == code)
            }
        }
    }

    @Test("a recovery report raises the epoch every session then carries", arguments: StoreKind.all)
    func recovery(store: StoreKind) async throws {
        let fixture = try await Fixture(store: store)
        try await fixture.app.test(.router) { client in
            try await client.execute(uri: "/v2/recovery", method: .post, headers: fixture.headers()) { response in
                #expect(response.status == .ok)
                let decoded = try JSONDecoder().decode(RecoveryReceipt.self, from: Data(buffer: response.body))
                #expect(decoded.epoch == 1)
            }
            try await client.execute(uri: "/v2/session", method: .get, headers: fixture.headers()) { response in
                let decoded = try JSONDecoder().decode(Session.self, from: Data(buffer: response.body))
                #expect(decoded.epoch == 1)
            }
        }
    }

    @Test(
        "one office raises the recovery epoch at most once per interval; another office still can",
        arguments: StoreKind.all)
    func recoveryFlood(store: StoreKind) async throws {
        let fixture = try await Fixture(store: store)
        let other = try #require(try await fixture.store.addOffice(name: "Nordstadt", quartiers: ["nordstadt"]).token)
        func report(_ token: String? = nil) async throws -> Int64 {
            try await fixture.app.test(.router) { client in
                try await client.execute(uri: "/v2/recovery", method: .post, headers: fixture.headers(token: token)) {
                    response in
                    #expect(response.status == .ok)
                    return try JSONDecoder().decode(RecoveryReceipt.self, from: Data(buffer: response.body)).epoch
                }
            }
        }
        #expect(try await report() == 1)
        // A token used to flood the server: every further report answers the same epoch, so no
        // office is made to send everything again.
        for _ in 0..<5 { #expect(try await report() == 1) }
        #expect(try await report(other) == 2)
        #expect(try await report(other) == 2)
    }

    @Test("an unknown path is answered 404", arguments: StoreKind.all)
    func unknownPath(store: StoreKind) async throws {
        let fixture = try await Fixture(store: store)
        try await fixture.app.test(.router) { client in
            try await client.execute(uri: "/v1/push", method: .post, headers: fixture.headers()) { response in
                #expect(response.status == .notFound)
            }
        }
    }
}
