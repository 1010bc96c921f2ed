import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// A client that opens a connection and stops sending — in the middle of its headers, or of a
/// push body — is disconnected after `--idle-timeout`, and nothing of it is stored.
@Suite("Stalled clients", .serialized)
struct StalledClientTests {
    /// Connects to the server, sends `text`, then waits (at most 15 s) for the server to close
    /// the connection. Returns whether it did; what it answered before closing is in `answer`.
    static func stall(port: Int, sending text: String) throws -> (closed: Bool, answer: String) {
        let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #expect(socket >= 0)
        defer { close(socket) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        #expect(connected == 0)
        var limit = timeval(tv_sec: 15, tv_usec: 0)
        setsockopt(socket, SOL_SOCKET, SO_RCVTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        let bytes = Array(text.utf8)
        #expect(send(socket, bytes, bytes.count, 0) == bytes.count)
        var answer = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = recv(socket, &buffer, buffer.count, 0)
            if count == 0 { return (true, String(decoding: answer, as: UTF8.self)) }
            if count < 0 { return (false, String(decoding: answer, as: UTF8.self)) }
            answer += buffer[0..<count]
        }
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
