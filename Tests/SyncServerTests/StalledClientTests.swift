import Foundation
import TestSupport
import Testing

/// A client that opens a connection and stops sending — in the middle of its headers, or of a
/// push body — is disconnected after `--idle-timeout`, and nothing of it is stored.
@Suite("Stalled clients", .serialized)
struct StalledClientTests {
    /// Connects to the server, sends `text`, then waits (at most 15 s) for the server to close
    /// the connection. Returns whether it did; what it answered before closing is in `answer`.
    static func stall(port: Int, sending text: String) throws -> (closed: Bool, answer: String) {
        let connection = try RawConnection(port: port, sending: text)
        let outcome = connection.waitForClose()
        return (outcome.closed, outcome.answer)
    }

    @Test("a request that stops in its headers or its body is cut off after the idle timeout")
    func stalledRequests() throws {
        let workspace = TemporaryDirectory("quartiersync-stall")
        let server = try SyncServerProcess.start(in: workspace, arguments: ["--idle-timeout", "1"])
        defer { server.stop() }
        let token = try server.addOffice("Kuckuck", quartiers: ["kuckuck"])
        let headersOnly = try Self.stall(port: server.port, sending: "POST /v2/push HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        #expect(headersOnly.closed, "the server kept a connection open whose headers never ended")
        let body = try Self.stall(
            port: server.port,
            sending:
                "POST /v2/push HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer \(token)\r\n"
                + "Content-Type: application/vnd.quartiersync.batch\r\nContent-Length: 100000\r\n\r\nQSB2")
        #expect(body.closed, "the server kept a connection open whose body stopped arriving")
        #expect(!body.answer.contains("200 OK"))
        let stored = try Command.run("/usr/bin/sqlite3", [server.database, "SELECT count(*) FROM _sync_records"])
        #expect(stored.output.trimmingCharacters(in: .whitespacesAndNewlines) == "0")
        // The server still serves.
        let health = try Command.run(
            "/usr/bin/curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", server.url + "/v1/health"])
        #expect(health.output == "200")
    }
}
