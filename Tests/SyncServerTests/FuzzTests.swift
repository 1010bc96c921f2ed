import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import SyncCore
import SyncKernel
import SyncProtocol
import SyncRemote
import TestSupport
import Testing

/// Hostile input against a live `sync-server`: at least 10,000 mutated and malformed requests
/// (bit flips, truncations, wrong lengths, huge counts, invalid UTF-8, wrong content
/// encodings, bad queries, headers, methods and paths). The server must stay up, answer every
/// one with a 4xx — or, for a push that is well framed but carries broken states, 200 with
/// exactly those states refused (one bad state never refuses a whole push) — and keep its store
/// as it was (integrity check, states, pushes).
///
/// Seeded: `QS_FUZZ_SEED=N` replays a run (the seed is printed), `QS_FUZZ_REQUESTS=N` sets
/// the number of requests (default 10,000).
@Suite("Fuzzing the server", .serialized)
struct FuzzTests {
    static let seed = ProcessInfo.processInfo.environment["QS_FUZZ_SEED"].flatMap(UInt64.init) ?? 20_261_202
    static let requests = ProcessInfo.processInfo.environment["QS_FUZZ_REQUESTS"].flatMap(Int.init) ?? 10_000

    /// What must not change: the states, the pushes received, the feed head.
    static func snapshot(_ database: String) throws -> String {
        let result = try Command.run(
            "/usr/bin/sqlite3",
            [
                "-readonly", database,
                """
                PRAGMA integrity_check;
                SELECT count(*) FROM _sync_records; SELECT count(*) FROM _server_pushes;
                SELECT count(*) FROM _sync_routes; SELECT store_seq FROM _sync_state;
                SELECT tbl, id, hex(state) FROM _sync_records ORDER BY tbl, id;
                """,
            ])
        #expect(result.status == 0, "\(result.error)")
        #expect(result.output.hasPrefix("ok\n"), "integrity check: \(result.output.prefix(200))")
        return result.output
    }

    @Test(
        "10,000 hostile requests: no crash, every answer 4xx or exactly the broken states refused, the store unchanged")
    func hostileRequests() async throws {
        print("fuzz seed \(Self.seed), \(Self.requests) requests: replay with QS_FUZZ_SEED=\(Self.seed)")
        let workspace = TemporaryDirectory("quartiersync-fuzz")
        // The failed-login slowdown and the office's share of requests would answer most
        // requests 429 before they reach the decoder; other tests cover them.
        let server = try SyncServerProcess.start(
            in: workspace, arguments: ["--failed-login-limit", "0", "--office-requests-per-minute", "0"])
        defer { server.stop() }
        let token = try server.addOffice("Kuckuck", quartiers: ["kuckuck"])
        let adminToken = try server.addAdmin("Vorstand")

        // A store with some data, and a valid batch to mutate.
        let office = try Replica.create(at: workspace.file("office.sqlite"), office: "Kuckuck")
        try office.setRemote(try Remote(server: server.url, token: token))
        for index in 0..<20 {
            try office.insert(
                index % 2 == 0 ? .contacts : .activities,
                values: index % 2 == 0
                    ? ["quartier": "kuckuck", "name": "Erika Beispiel \(index)", "email": "erika\(index)@example.org"]
                    : [
                        "quartier": "kuckuck", "title": "Stadtteilfest \(index)",
                        "starts_at": "2026-06-1\(index % 10)T14:00", "handlungsfeld": "zusammenleben",
                    ])
        }
        _ = try await RemoteSync().run(office)
        for row in try office.records(.contacts).prefix(5) {
            try office.update(.contacts, id: row.id!, changes: ["notes": "Rückruf"])
        }
        let valid = try office.outgoing(limit: 100).encoded()
        // The server holds the valid states: a mutation that leaves a state as it was
        // changes nothing, and only broken states are left to refuse.
        _ = try await RemoteSync().run(office)
        let before = try Self.snapshot(server.database)

        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        var generator = SeededGenerator(seed: Self.seed)
        var fuzzer = Fuzzer(valid: valid, token: token, adminToken: adminToken, server: server.url)
        var statuses: [UInt: Int] = [:]
        do {
            for index in 0..<Self.requests {
                let (request, label) = fuzzer.next(&generator)
                let status: UInt
                let body: ByteBuffer
                do {
                    let response = try await client.execute(request, timeout: .seconds(20))
                    body = try await response.body.collect(upTo: 64 << 20)
                    status = response.status.code
                } catch {
                    Issue.record("request \(index) (\(label)) failed: \(error); seed \(Self.seed)")
                    break
                }
                statuses[status, default: 0] += 1
                if status == 200, let expected = fuzzer.expectedRefusals {
                    let receipt = try? JSONDecoder().decode(PushReceipt.self, from: Data(body.readableBytesView))
                    if receipt?.refused?.count ?? 0 != expected {
                        Issue.record(
                            "request \(index) (\(label)): \(expected) broken states, receipt refused \(receipt?.refused?.count ?? -1); seed \(Self.seed)"
                        )
                    }
                } else if !(400..<500).contains(status) {
                    Issue.record("request \(index) (\(label)) was answered \(status); seed \(Self.seed)")
                }
            }
        }
        try await client.shutdown()
        print(
            "fuzz seed \(Self.seed): answers \(statuses.sorted { $0.key < $1.key }), skipped \(fuzzer.stillValid) mutations that stayed valid"
        )
        #expect(statuses.values.reduce(0, +) == Self.requests)
        #expect(server.processIdentifier.map { kill($0, 0) == 0 } == true, "the server is gone")
        let after = try Self.snapshot(server.database).split(separator: "\n")
        let changed = zip(after, before.split(separator: "\n")).filter { $0 != $1 }
        #expect(
            changed.isEmpty,
            "the store changed; seed \(Self.seed): \(changed.prefix(3).map { "\($0.0.prefix(60)) was \($0.1.prefix(60))" })"
        )
        // And it still serves: the office syncs.
        _ = try await RemoteSync().run(office)
    }
}

/// Makes one hostile request after another from a valid push body.
struct Fuzzer {
    let valid: [UInt8]
    let token: String
    let adminToken: String
    let server: String
    /// Mutations that happened to leave a valid state that differs from the original, not
    /// sent: a valid push is no attack (and a valid change of a known version is issue #25's).
    var stillValid = 0
    /// For the request `next` made last: a well-framed push, carrying this many broken states
    /// (and otherwise only states the server holds); nil for anything else.
    var expectedRefusals: Int?

    /// The states of the valid batch.
    lazy var originalStates: Set<RecordState> = Set((try? ChangeBatch(encoded: valid))?.records ?? [])

    /// How many states of `bytes` break a rule, if it is a well-framed batch whose other
    /// states are the valid batch's; nil if it does not decode; -1 if it carries a valid state
    /// that differs from the original (not sent).
    static func brokenStates(_ bytes: [UInt8], original: Set<RecordState>) -> Int? {
        guard let batch = try? ChangeBatch(encoded: bytes) else { return nil }
        var broken = 0
        for state in batch.records {
            if (try? StateValidator().check(state)) == nil {
                broken += 1
            } else if !original.contains(state) {
                return -1
            }
        }
        return broken
    }

    func request(
        _ method: HTTPMethod, _ path: String, token: String?, body: [UInt8]? = nil, headers: [(String, String)] = []
    )
        -> HTTPClientRequest
    {
        var request = HTTPClientRequest(url: server + path)
        request.method = method
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body { request.body = .bytes(ByteBuffer(bytes: body)) }
        return request
    }

    /// A push body that is not a valid batch, made by `kind`.
    mutating func badBatch(_ generator: inout SeededGenerator) -> ([UInt8], String) {
        while true {
            var bytes = valid
            let label: String
            switch Int.random(in: 0..<7, using: &generator) {
            case 0:
                let flips = Int.random(in: 1...8, using: &generator)
                for _ in 0..<flips {
                    bytes[Int.random(in: 0..<bytes.count, using: &generator)] ^=
                        1 << UInt8.random(in: 0...7, using: &generator)
                }
                label = "\(flips) bit flips"
            case 1:
                bytes = Array(bytes.prefix(Int.random(in: 0..<bytes.count, using: &generator)))
                label = "truncated"
            case 2:
                // A length or count overwritten with a large varint.
                let at = Int.random(in: 4..<bytes.count, using: &generator)
                let big: [UInt8] = [0xff, 0xff, 0xff, 0xff, 0x0f]
                bytes.replaceSubrange(at..<min(bytes.count, at + big.count), with: big)
                label = "wrong length"
            case 3:
                // A header announcing a huge number of offices, records or evictions.
                var writer: [UInt8] = Array("QSB2".utf8) + [0x02, 0x00]
                let huge: [UInt8] = [
                    [0x80, 0x80, 0x40], [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f],
                    [0x00, 0x80, 0x80, 0x40],
                ]
                .randomElement(using: &generator)!
                writer += huge
                bytes = writer + Array(repeating: 0, count: Int.random(in: 0..<64, using: &generator))
                label = "huge count"
            case 4:
                // Invalid UTF-8 where text is.
                let at = Int.random(in: 8..<bytes.count - 2, using: &generator)
                bytes.replaceSubrange(at..<at + 2, with: [0xc3, 0x28])
                label = "invalid UTF-8"
            case 5:
                bytes = (0..<Int.random(in: 0..<512, using: &generator)).map { _ in
                    UInt8.random(in: 0...255, using: &generator)
                }
                label = "random bytes"
            default:
                bytes += (0..<Int.random(in: 1..<16, using: &generator)).map { _ in
                    UInt8.random(in: 0...255, using: &generator)
                }
                label = "trailing bytes"
            }
            let broken = Self.brokenStates(bytes, original: originalStates)
            if broken == -1 {
                stillValid += 1
                continue
            }
            expectedRefusals = broken
            return (bytes, label)
        }
    }

    mutating func next(_ generator: inout SeededGenerator) -> (HTTPClientRequest, String) {
        expectedRefusals = nil
        let batchHeaders = [("Content-Type", Wire.batchMediaType)]
        switch Int.random(in: 0..<100, using: &generator) {
        case 0..<55:
            let (bytes, label) = badBatch(&generator)
            return (request(.POST, "/v2/push", token: token, body: bytes, headers: batchHeaders), label)
        case 55..<65:
            // Wrong content encodings: a plain body said to be gzip, a gzip of damage, unknown ones.
            let (bytes, label) = badBatch(&generator)
            let framed = expectedRefusals
            expectedRefusals = nil
            switch Int.random(in: 0..<3, using: &generator) {
            case 0:
                return (
                    request(
                        .POST, "/v2/push", token: token, body: valid,
                        headers: batchHeaders + [("Content-Encoding", "gzip")]),
                    "plain body as gzip"
                )
            case 1:
                expectedRefusals = framed
                let zipped = Array((try? Wire.gzip(bytes))?.readableBytesView ?? [])
                return (
                    request(
                        .POST, "/v2/push", token: token, body: zipped,
                        headers: batchHeaders + [("Content-Encoding", "gzip")]),
                    "gzip of \(label)"
                )
            default:
                var zipped = Array((try? Wire.gzip(valid))?.readableBytesView ?? [])
                zipped = Array(zipped.prefix(Int.random(in: 2..<zipped.count, using: &generator)))
                return (
                    request(
                        .POST, "/v2/push", token: token, body: zipped,
                        headers: batchHeaders + [("Content-Encoding", "gzip")]),
                    "truncated gzip"
                )
            }
        case 65..<75:
            let queries = [
                "since=-1", "since=abc", "limit=0", "limit=99999999", "since=99999999999999999999999", "limit=-3",
                "since=1e9", "limit=%00", "since=0&limit=",
            ]
            return (request(.GET, "/v2/pull?" + queries.randomElement(using: &generator)!, token: token), "bad query")
        case 75..<82:
            let headers = [
                ("QuartierSync-Replica", "not a replica id"),
                ("QuartierSync-Replica", String(repeating: "a", count: 65)),
                ("QuartierSync-Replica", "../../etc"),
            ]
            let (bytes, label) = badBatch(&generator)
            expectedRefusals = nil
            return (
                request(
                    .POST, "/v2/push", token: token, body: bytes,
                    headers: batchHeaders + [headers.randomElement(using: &generator)!]),
                "bad replica header, \(label)"
            )
        case 82..<88:
            let tokens = [
                "", "qs_", "qs_\u{00e9}\u{00e9}", String(repeating: "x", count: 4096), "Bearer qs_x", "qsa_wrong",
            ]
            var request = request(.GET, "/v2/session", token: nil)
            request.headers.add(name: "Authorization", value: "Bearer " + tokens.randomElement(using: &generator)!)
            return (request, "bad token")
        case 88..<94:
            let paths: [(HTTPMethod, String)] = [
                (.PUT, "/v2/push"), (.DELETE, "/v2/pull"), (.GET, "/v2/push"), (.POST, "/v2/session"),
                (.GET, "/v2/../v1/health/x"), (.GET, "/v3/pull"), (.PATCH, "/v2/admin/offices"), (.GET, "/%00"),
            ]
            let (method, path) = paths.randomElement(using: &generator)!
            return (request(method, path, token: token), "\(method) \(path)")
        default:
            // The admin's resolve with a broken body, an office token, or an unknown conflict.
            let bodies = [
                #"{"decision":"#, #"{"decision": 5, "reason": []}"#, #"{"decision": "set", "reason": "x"}"#, "\u{0}",
            ]
            let body = Array(bodies.randomElement(using: &generator)!.utf8)
            let asOffice = Bool.random(using: &generator)
            return (
                request(
                    .POST, "/v2/admin/conflicts/c-0000000000000000/resolve", token: asOffice ? token : adminToken,
                    body: body,
                    headers: [("Content-Type", "application/json")]),
                asOffice ? "resolve as an office" : "broken resolve"
            )
        }
    }
}
