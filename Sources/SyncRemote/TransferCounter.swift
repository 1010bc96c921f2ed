import Foundation
import SyncCore
import SyncKernel
import SyncProtocol

/// Counts the bytes a client sent and received on the wire (compressed sizes).
public final class TransferCounter: @unchecked Sendable {
    // Safe: every access to the two counters holds `lock`.
    private let lock = NSLock()
    private var sent = 0
    private var received = 0

    /// Creates a counter at zero.
    public init() {}

    func add(sent: Int = 0, received: Int = 0) {
        lock.lock()
        self.sent += sent
        self.received += received
        lock.unlock()
    }

    /// Bytes of request bodies sent so far.
    public var bytesSent: Int {
        lock.lock()
        defer { lock.unlock() }
        return sent
    }

    /// Bytes of response bodies received so far, as they crossed the network.
    public var bytesReceived: Int {
        lock.lock()
        defer { lock.unlock() }
        return received
    }
}
