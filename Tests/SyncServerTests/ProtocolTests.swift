import Foundation
import SyncCore
import SyncKernel
import SyncRemote
import TestSupport
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// The HTTP protocol as a client sees it: statuses, JSON error bodies, idempotent pushes.
@Suite("Protocol", .serialized)
struct ProtocolTests {
    func request(_ server: SyncServerProcess, _ method: String, _ path: String, token: String? = nil, body: Data? = nil)
        async throws -> (Int, Data, HTTPURLResponse)
    {
        var request = URLRequest(url: URL(string: server.url + path)!)
        request.httpMethod = method
        if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        request.httpBody = body
        let (data, response) = try await URLSession.shared.data(for: request)
        let http = try #require(response as? HTTPURLResponse)
        return (http.statusCode, data, http)
    }

    func errorCode(_ data: Data) throws -> String? {
        let json = try JSONSerialization.jsonObject(with: data) as? [String: Any]
        return (json?["error"] as? [String: Any])?["code"] as? String
    }

    @Test("health needs no token; push and pull refuse a missing or unknown token with 401 and a JSON error")
    func authentication() async throws {
        let workspace = TemporaryDirectory("quartiersync-e2e")
        let server = try SyncServerProcess.start(in: workspace)
        defer { server.stop() }
        let (status, data, _) = try await request(server, "GET", "/v1/health")
        #expect(status == 200)
        #expect((try JSONSerialization.jsonObject(with: data) as? [String: Any])?["protocol"] as? Int == 2)
        let (pullStatus, pullBody, pullResponse) = try await request(server, "GET", "/v2/pull?since=0")
        #expect(pullStatus == 401)
        #expect(try errorCode(pullBody) == "unauthorized")
        #expect(pullResponse.value(forHTTPHeaderField: "Content-Type")?.hasPrefix("application/json") == true)
        let (pushStatus, _, _) = try await request(server, "POST", "/v2/push", token: "qs_unknown", body: Data())
        #expect(pushStatus == 401)
    }

    @Test("a malformed push is refused with 400 and stores nothing; bad paging parameters are 400")
    func malformedRequests() async throws {
        let workspace = TemporaryDirectory("quartiersync-e2e")
        let server = try SyncServerProcess.start(in: workspace)
        defer { server.stop() }
        let token = try server.addOffice("Kuckuck", quartiers: ["kuckuck"])
        let (status, data, _) = try await request(
            server, "POST", "/v2/push", token: token, body: Data("not a batch".utf8))
        #expect(status == 400)
        #expect(try errorCode(data) == "malformed-batch")
        let (limitStatus, limitBody, _) = try await request(server, "GET", "/v2/pull?since=0&limit=0", token: token)
        #expect(limitStatus == 400)
        #expect(try errorCode(limitBody) == "bad-limit")
        let (cursorStatus, _, _) = try await request(server, "GET", "/v2/pull?since=-4", token: token)
        #expect(cursorStatus == 400)
        let (_, page, _) = try await request(server, "GET", "/v2/pull?since=0", token: token)
        #expect(try ChangeBatch(encoded: [UInt8](page)).records.isEmpty)
    }

    @Test("a push sent twice with the same key is applied once and answered alike")
    func idempotentPush() async throws {
        let workspace = TemporaryDirectory("quartiersync-e2e")
        let server = try SyncServerProcess.start(in: workspace)
        defer { server.stop() }
        let token = try server.addOffice("Kuckuck", quartiers: ["kuckuck"])
        let replica = try Replica.inMemory(office: "Kuckuck")
        try replica.insert(.contacts, values: ["name": "Erika Beispiel", "quartier": "kuckuck"])
        let client = try SyncClient(remote: try Remote(server: server.url, token: token))
        let batch = try replica.outgoing()
        let first = try await client.push(batch, key: "batch-1")
        let second = try await client.push(batch, key: "batch-1")
        #expect(first.stored == 1)
        #expect(second == first)
        let third = try await client.push(batch, key: "batch-2")
        #expect(third.stored == 0 && third.alreadyKnown == 1, "a new request with the same states changes nothing")
        let page = try await client.pull(since: 0, limit: 10)
        #expect(page.records.count == 1)
    }
}
