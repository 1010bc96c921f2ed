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

/// The server checks every pushed state before its store takes it: a broken state is refused
/// alone, in the receipt, naming the record and the rule but never the value; the batch's
/// other states are stored (one bad state must not stop an office's every later sync).
@Suite("Pushed states are checked")
struct PushValidationTests {
    typealias Fixture = RouteTests.Fixture

    /// A valid batch of one contact and one activity, as an office would push it.
    static func batch() throws -> ChangeBatch {
        let office = try Replica.inMemory(office: "Stadtteiltreff Kuckuck")
        let contact = try office.insert(
            .contacts, values: ["name": "Erika Beispiel", "quartier": "kuckuck", "consent_at": "2025-03-26"])
        _ = try office.insert(
            .activities,
            values: [
                "title": "Sommerfest", "quartier": "kuckuck", "starts_at": "2025-06-16T14:00",
                "handlungsfeld": "stadtteilkultur", "organiser_id": contact.id,
            ])
        return try office.outgoing(limit: 10)
    }

    /// Each way of breaking a state, with the rule the answer must name.
    static let breakages: [(String, @Sendable (inout RecordState) -> Void)] = [
        ("consent_at is not a date", { $0.setEveryVersion(of: "consent_at", to: "erika@example.org") }),
        ("starts_at is not a date and time", { $0.setEveryVersion(of: "starts_at", to: "erika@example.org") }),
        ("handlungsfeld is not a known Handlungsfeld", { $0.setEveryVersion(of: "handlungsfeld", to: "0151 000000") }),
        ("longer than 10000 characters", { $0.setEveryVersion(of: "name", to: String(repeating: "x", count: 10_001)) }),
        (
            "not covered by its version vector",
            { state in
                let replica = state.context.counters.keys.first!
                state.context = VersionVector([replica: 0])
            }
        ),
        ("does not say whether the record exists", { $0.alive = [] }),
        ("its id is not an id", { $0.id = "../../etc/passwd" }),
        ("it has no quartier", { $0.fields["quartier"] = nil }),
    ]

    @Test("a valid batch passes the checks")
    func validPasses() throws {
        try StateValidator().check(try Self.batch())
    }

    @Test(
        "a broken state is refused alone, its rule named, its value not; the other state is stored",
        arguments: StoreKind.all)
    func brokenStatesRefused(store: StoreKind) async throws {
        let valid = try Self.batch()
        for (rule, breakage) in Self.breakages {
            let fixture = try await Fixture(store: store)
            var batch = valid
            let index = rule.contains("starts_at") || rule.contains("handlungsfeld") ? 1 : 0
            breakage(&batch.records[index])
            let broken = batch
            try await fixture.app.test(.router) { client in
                try await client.execute(
                    uri: "/v2/push", method: .post, headers: fixture.headers(),
                    body: ByteBuffer(bytes: broken.encoded())
                ) { response in
                    #expect(response.status == .ok, "\(rule)")
                    let receipt = try JSONDecoder().decode(
                        PushReceipt.self, from: Data(response.body.readableBytesView))
                    let refused = try #require(receipt.refused, "\(rule)")
                    #expect(refused.count == 1, "\(rule)")
                    #expect(refused.first?.code == "invalid-state", "\(rule)")
                    #expect(refused.first?.id == String(broken.records[index].id.prefix(64)), "\(rule)")
                    #expect(refused.first?.message.contains(rule) == true, "\(rule): \(refused.first?.message ?? "")")
                    for value in ["erika@example.org", "0151 000000", "Erika Beispiel", "xxxxxxxxxx"] {
                        #expect(refused.first?.message.contains(value) == false, "\(rule)")
                    }
                    #expect(receipt.stored == 1, "\(rule)")
                }
            }
            let stored = try await fixture.stored()
            #expect(stored.map(\.id) == [batch.records[1 - index].id], "\(rule)")
        }
    }
}

extension RecordState {
    /// Every version of `field` (by name) says `text`.
    fileprivate mutating func setEveryVersion(of field: String, to text: String) {
        fields[field] = (fields[field] ?? []).map {
            Sibling(value: .text(text), dot: $0.dot, time: $0.time, replaced: $0.replaced)
        }
    }
}

/// The limits of `sync-server serve` (states per push, field length, body size): a push over
/// a request limit is answered with its status and a JSON error, a state over the field
/// length is refused alone in the receipt; nothing over a limit is stored.
@Suite("Push limits")
struct PushLimitTests {
    @Test(
        "a push over a configured limit is refused (413 and a JSON error, or each state in the receipt); nothing is stored",
        arguments: [
            ("states", HTTPResponse.Status.contentTooLarge, "too-many-states"),
            ("field", HTTPResponse.Status.ok, "invalid-state"),
            ("body", HTTPResponse.Status.contentTooLarge, "too-large"),
        ])
    func limits(limit: String, status: HTTPResponse.Status, code: String) async throws {
        var fixture = try await RouteTests.Fixture()
        switch limit {
        case "states": fixture.configuration.maxStatesPerBatch = 1
        case "field": fixture.configuration.maxFieldLength = 5
        default: fixture.configuration.maxBodyBytes = 64
        }
        let configured = fixture
        let body = ByteBuffer(bytes: try PushValidationTests.batch().encoded())
        try await configured.app.test(.router) { client in
            try await client.execute(uri: "/v2/push", method: .post, headers: configured.headers(), body: body) {
                response in
                #expect(response.status == status)
                if status == .ok {
                    // Too long a field is a broken state: refused alone, in the receipt.
                    let receipt = try JSONDecoder().decode(
                        PushReceipt.self, from: Data(response.body.readableBytesView))
                    #expect(receipt.refused?.map(\.code) == [code, code])
                } else {
                    let error = try RouteTests.error(response.body)
                    #expect(error.error.code == code)
                }
            }
        }
        #expect(try await configured.stored().isEmpty)
    }
}
