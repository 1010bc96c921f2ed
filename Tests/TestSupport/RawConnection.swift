import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A TCP connection to a loopback server that sends some bytes and then nothing more: what a
/// client that stalls, or an attacker holding a request open, does.
public struct RawConnection: ~Copyable {
    /// The socket; closed when the connection goes.
    public let socket: Int32

    /// Connects to 127.0.0.1:`port` and sends `text`.
    public init(port: Int, sending text: String) throws {
        socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard socket >= 0 else { throw CommandError("no socket") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        let bytes = Array(text.utf8)
        guard connected == 0, send(socket, bytes, bytes.count, 0) == bytes.count else {
            close(socket)
            throw CommandError("could not connect to port \(port) and send")
        }
    }

    /// Waits (at most `seconds`) for the server to close the connection. Returns whether it
    /// closed it, or reset it, and what it answered before.
    public func waitForClose(seconds: Int = 15) -> (closed: Bool, reset: Bool, answer: String) {
        var limit = timeval(tv_sec: seconds, tv_usec: 0)
        setsockopt(socket, SOL_SOCKET, SO_RCVTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        var answer = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = recv(socket, &buffer, buffer.count, 0)
            if count == 0 { return (true, false, String(decoding: answer, as: UTF8.self)) }
            if count < 0 { return (false, errno == ECONNRESET, String(decoding: answer, as: UTF8.self)) }
            answer += buffer[0..<count]
        }
    }

    deinit { close(socket) }
}
