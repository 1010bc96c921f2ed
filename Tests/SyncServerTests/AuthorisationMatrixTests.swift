import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import SyncCore
import SyncKernel
import SyncProtocol
import SyncServer
import TestSupport
import Testing

/// Every endpoint × every kind of caller, each with the status and JSON body it must get: who
/// may do what on the server (docs/security.md). Runs the real router and SQLite store in
/// process; the end-to-end suites run the same routes as a `sync-server` process.
@Suite("Authorisation matrix")
struct AuthorisationMatrixTests {
    /// Who asks.
    enum Caller: String, CaseIterable, CustomTestStringConvertible {
        case none, malformed, wrong, revoked, otherQuartier, office, admin, revokedAdmin
        var testDescription: String { rawValue }
    }

    /// An endpoint and its request.
    struct Endpoint: CustomTestStringConvertible, Sendable {
        var method: HTTPRequest.Method
        var path: String
        /// Office routes take office tokens, admin routes admin tokens; open ones take anything.
        var kind: Kind
        var testDescription: String { "\(method) \(path)" }

        enum Kind { case open, office, admin }
    }

    static let endpoints = [
        Endpoint(method: .get, path: "/v1/health", kind: .open),
        Endpoint(method: .get, path: "/metrics", kind: .open),
        Endpoint(method: .get, path: "/v2/session", kind: .office),
        Endpoint(method: .get, path: "/v2/pull?since=0&limit=100", kind: .office),
        Endpoint(method: .post, path: "/v2/push", kind: .office),
        Endpoint(method: .post, path: "/v2/recovery", kind: .office),
        Endpoint(method: .get, path: "/v2/admin/conflicts", kind: .admin),
        Endpoint(method: .get, path: "/v2/admin/conflicts/c-0000000000000000", kind: .admin),
        Endpoint(method: .post, path: "/v2/admin/conflicts/c-0000000000000000/resolve", kind: .admin),
        Endpoint(method: .get, path: "/v2/admin/offices", kind: .admin),
        Endpoint(method: .get, path: "/v2/erasures", kind: .office),
        Endpoint(method: .get, path: "/v2/admin/erasures", kind: .admin),
        Endpoint(method: .post, path: "/v2/admin/erasures", kind: .admin),
        Endpoint(method: .post, path: "/v2/admin/subjects/report", kind: .admin),
        Endpoint(method: .get, path: "/v2/admin/retention", kind: .admin),
        Endpoint(method: .put, path: "/v2/admin/retention", kind: .admin),
        Endpoint(method: .post, path: "/v2/admin/retention/apply", kind: .admin),
    ]

    /// A store with a Kuckuck office holding one contact, an Altstadt office, a revoked office,
    /// an admin and a revoked admin.
    struct Network {
        let fixture: RouteTests.Fixture
        let tokens: [Caller: String]
        let contact: String

        init(store kind: StoreKind = .sqlite) async throws {
            fixture = try await RouteTests.Fixture(store: kind)
            let store = fixture.store
            let other = try #require(try await store.addOffice(name: "Altstadt", quartiers: ["altstadt"]).token)
            let revoked = try #require(try await store.addOffice(name: "Altes Büro", quartiers: ["kuckuck"]).token)
            try await store.revokeOffice(name: "Altes Büro")
            let admin = try await store.addAdmin(name: "Vorstand")
            let revokedAdmin = try await store.addAdmin(name: "Ehemals")
            try await store.revokeAdmin(name: "Ehemals")
            tokens = [
                .wrong: "qs_" + String(repeating: "A", count: 43), .revoked: revoked, .otherQuartier: other,
                .office: fixture.token, .admin: admin, .revokedAdmin: revokedAdmin,
            ]
            let seeded = try fixture.batch()
            contact = try #require(seeded.records.first?.id)
            let office = try #require(try await store.office(forToken: fixture.token))
            _ = try await store.push(seeded, key: nil, from: office, replica: nil, validator: StateValidator())
        }

        func headers(_ caller: Caller) -> HTTPFields {
            var fields = HTTPFields()
            switch caller {
            case .none: break
            case .malformed: fields[.authorization] = "Bearer qs_ not\u{1}a token"
            default: fields[.authorization] = "Bearer \(tokens[caller]!)"
            }
            return fields
        }
    }

    /// What `caller` must get from `endpoint`: a status and, for an error, its code.
    static func expected(_ endpoint: Endpoint, _ caller: Caller) -> (HTTPResponse.Status, String?) {
        switch (endpoint.kind, caller) {
        case (.open, _): return (.ok, nil)
        case (_, .none), (_, .malformed), (_, .wrong), (_, .revoked), (_, .revokedAdmin):
            return (.unauthorized, "unauthorized")
        case (.office, .admin): return (.forbidden, "forbidden")
        case (.office, _): return (.ok, nil)
        case (.admin, .admin): return endpoint.path.contains("c-0000") ? (.notFound, "not-found") : (.ok, nil)
        case (.admin, _): return (.forbidden, "forbidden")
        }
    }

    @Test("each endpoint answers each caller with its status and JSON body", arguments: endpoints, StoreKind.all)
    func matrix(endpoint: Endpoint, store: StoreKind) async throws {
        // A store of its own for each caller whose request may change it; on PostgreSQL the
        // callers refused at the door (401, nothing touched) share one per endpoint (a new
        // database each would mostly measure CREATE DATABASE).
        let shared = store == .postgres ? try await Network(store: store) : nil
        for caller in Caller.allCases {
            let refusedAtTheDoor: Set<Caller> = [.none, .malformed, .wrong, .revoked, .revokedAdmin]
            let network: Network
            if let shared, refusedAtTheDoor.contains(caller) {
                network = shared
            } else {
                network = try await Network(store: store)
            }
            let body: ByteBuffer? =
                switch endpoint.path {
                case "/v2/push": ByteBuffer(bytes: try network.fixture.batch().encoded())
                case let path where path.hasSuffix("/resolve"):
                    ByteBuffer(string: #"{"decision": "take-shown", "reason": "Rücksprache"}"#)
                case "/v2/admin/erasures" where endpoint.method == .post:
                    ByteBuffer(string: #"{"id": "\#(network.contact)", "reason": "Antrag DS-1"}"#)
                case "/v2/admin/subjects/report": ByteBuffer(string: #"{"id": "\#(network.contact)"}"#)
                case "/v2/admin/retention" where endpoint.method == .put:
                    ByteBuffer(string: #"{"rules": [{"table": "contacts", "inactiveMonths": 36}]}"#)
                case "/v2/admin/retention/apply": ByteBuffer(string: #"{"reason": "Löschfristen"}"#)
                default: nil
                }
            let (status, code) = Self.expected(endpoint, caller)
            try await network.fixture.app.test(.router) { client in
                try await client.execute(
                    uri: endpoint.path, method: endpoint.method, headers: network.headers(caller), body: body
                ) { response in
                    #expect(response.status == status, "\(endpoint.testDescription) as \(caller)")
                    if let code {
                        let error = try RouteTests.error(response.body)
                        #expect(error.error.code == code, "\(endpoint.testDescription) as \(caller)")
                        #expect(!error.error.message.isEmpty)
                        if status == .unauthorized { #expect(response.headers[.wwwAuthenticate] == "Bearer") }
                    } else {
                        try checkBody(endpoint, caller, network, response)
                    }
                }
            }
        }
    }

    /// What a successful answer must say, and must not show.
    func checkBody(_ endpoint: Endpoint, _ caller: Caller, _ network: Network, _ response: TestResponse) throws {
        let data = Data(buffer: response.body)
        let quartier = caller == .office ? "kuckuck" : "altstadt"
        switch endpoint.path {
        case "/v1/health":
            #expect(try JSONDecoder().decode(Health.self, from: data).storeId == network.fixture.store.storeID)
        case "/metrics": #expect(String(decoding: data, as: UTF8.self).contains("quartiersync_syncs_total"))
        case "/v2/session": #expect(try JSONDecoder().decode(Session.self, from: data).quartiers == [quartier])
        case "/v2/pull?since=0&limit=100":
            // The Kuckuck contact reaches the Kuckuck office only.
            let page = try ChangeBatch(encoded: Array(data))
            #expect(page.records.contains { $0.id == network.contact } == (caller == .office))
        case "/v2/push":
            let receipt = try JSONDecoder().decode(PushReceipt.self, from: data)
            if caller == .office {
                #expect(receipt.stored == 1 && receipt.refused == nil)
            } else {
                #expect(receipt.stored == 0 && receipt.refused?.map(\.code) == ["outside-scope"])
            }
        case "/v2/recovery": #expect(try JSONDecoder().decode(RecoveryReceipt.self, from: data).epoch == 1)
        case "/v2/admin/conflicts": #expect(try JSONDecoder().decode([ConflictReport].self, from: data).isEmpty)
        case "/v2/admin/offices":
            let offices = try JSONDecoder().decode([OfficeOverview].self, from: data)
            #expect(Set(offices.map(\.name)) == ["Stadtteiltreff Kuckuck", "Altstadt", "Altes Büro"])
        case "/v2/erasures": #expect(try ChangeBatch(encoded: Array(data)).records.isEmpty)
        case "/v2/admin/erasures" where endpoint.method == .get:
            #expect(try JSONDecoder().decode([ErasureStatus].self, from: data).isEmpty)
        case "/v2/admin/erasures":
            let order = try JSONDecoder().decode(ErasureOrder.self, from: data)
            #expect(order.recordId == network.contact && order.orderedBy.hasPrefix("admin:"))
        case "/v2/admin/subjects/report":
            let report = try JSONDecoder().decode(SubjectReport.self, from: data)
            #expect(report.records.map(\.id) == [network.contact])
        case "/v2/admin/retention" where endpoint.method == .get:
            #expect(try JSONDecoder().decode(RetentionReport.self, from: data).rules == nil)
        case "/v2/admin/retention":
            #expect(try JSONDecoder().decode(RetentionReport.self, from: data).rules?.rules.count == 1)
        case "/v2/admin/retention/apply": #expect(try JSONDecoder().decode([ErasureOrder].self, from: data).isEmpty)
        default: Issue.record("no body check for \(endpoint.testDescription)")
        }
    }

    @Test("an address that keeps sending wrong tokens is answered 429 with Retry-After; the right token waits too")
    func failedLoginsSlowDown() async throws {
        var limited = try await RouteTests.Fixture()
        limited.configuration.failedLoginLimit = 5
        // A window no busy test machine outlasts between two of these requests.
        limited.configuration.failedLoginWindow = 3600
        let fixture = limited
        let wrong: HTTPFields = [.authorization: "Bearer qs_wrong"]
        try await fixture.app.test(.router) { client in
            for _ in 0..<5 {
                try await client.execute(uri: "/v2/session", method: .get, headers: wrong) { response in
                    #expect(response.status == .unauthorized)
                }
            }
            for headers in [wrong, fixture.headers()] {
                try await client.execute(uri: "/v2/session", method: .get, headers: headers) { response in
                    #expect(response.status == .tooManyRequests)
                    let error = try RouteTests.error(response.body)
                    #expect(error.error.code == "too-many-failures")
                    #expect(Int(response.headers[.retryAfter] ?? "") ?? 0 > 0)
                }
            }
            // Health needs no token and is never slowed down.
            try await client.execute(uri: "/v1/health", method: .get) { #expect($0.status == .ok) }
        }
    }
}
