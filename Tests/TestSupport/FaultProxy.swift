import Foundation
import NIOCore
import NIOPosix

#if canImport(Glibc)
    import Glibc
#endif

/// A TCP proxy on loopback between clients and a server that breaks a seeded share of the
/// connections it carries: what a slow, flaky or vanishing network does to a sync.
///
/// Each accepted connection gets one ``Fault`` (or none), drawn from the seed in the order
/// connections arrive. The proxy never parses HTTP: it cuts, delays, resets, stalls or
/// duplicates bytes, so the client and server meet the faults as they would on a real network.
///
/// ```swift
/// let proxy = try FaultProxy.start(upstreamPort: server.port, seed: 7, share: 0.2)
/// defer { proxy.stop() }
/// // point the client at http://127.0.0.1:\(proxy.port)
/// proxy.share = 0   // faults stop: the next syncs must converge
/// ```
public final class FaultProxy: @unchecked Sendable {
    // Safe: the mutable state (generator, share, counts, open channels) is guarded by `lock`;
    // the channels are NIO's, which may be used from any thread.

    /// What the proxy does to one connection.
    public enum Fault: String, CaseIterable, Sendable, Comparable {
        /// Every chunk, both ways, arrives 2 to 20 ms late.
        case delay
        /// The request bytes stop after a random count (in headers or body); both ends closed.
        case cutRequest = "cut-request"
        /// The response bytes stop after a random count; both ends closed.
        case cutResponse = "cut-response"
        /// The client's connection is reset (RST) when its first bytes arrive.
        case reset
        /// After a random count of request bytes nothing more of the request is forwarded, and
        /// nothing closes: a half-open connection, ended by the client's timeout. Answers to
        /// requests already sent still arrive.
        case stall
        /// After a random count of response bytes (in the head or half-way through the body)
        /// nothing more of the answer is forwarded, and nothing closes: the client's deadline
        /// must cover the whole answer, not only its head.
        case stallResponse = "stall-response"
        /// Every request byte is also sent to the server on a second connection, whose
        /// answers are dropped: each request arrives twice, at about the same time.
        case duplicate

        public static func < (lhs: Fault, rhs: Fault) -> Bool { lhs.rawValue < rhs.rawValue }
    }

    /// The port the proxy listens on (127.0.0.1).
    public let port: Int
    private let upstreamPort: Int
    private let serverChannel: Channel
    private let lock = NSLock()
    private var generator: SeededGenerator
    private var faultShare: Double
    private let faults: [Fault]
    private var faultCounts: [Fault: Int] = [:]
    private var connectionCount = 0
    private var open: [ObjectIdentifier: Channel] = [:]

    private init(
        port: Int, upstreamPort: Int, serverChannel: Channel, seed: UInt64, share: Double, faults: [Fault]
    ) {
        self.faults = faults
        self.port = port
        self.upstreamPort = upstreamPort
        self.serverChannel = serverChannel
        generator = SeededGenerator(seed: seed)
        faultShare = share
    }

    /// Starts a proxy on a free loopback port in front of `127.0.0.1:upstreamPort`, breaking
    /// about `share` (0…1) of the connections with one of `faults`, drawn from `seed`.
    public static func start(
        upstreamPort: Int, seed: UInt64, share: Double, faults: [Fault] = Fault.allCases
    ) throws -> FaultProxy {
        let box = ProxyBox()
        let bootstrap = ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.autoRead, value: false)
            .childChannelInitializer { channel in
                guard let proxy = box.proxy else { return channel.close() }
                return channel.eventLoop.makeCompletedFuture { proxy.accept(channel) }
            }
        let channel = try bootstrap.bind(host: "127.0.0.1", port: 0).wait()
        let proxy = FaultProxy(
            port: channel.localAddress!.port!, upstreamPort: upstreamPort, serverChannel: channel, seed: seed,
            share: share, faults: faults)
        box.proxy = proxy
        return proxy
    }

    /// The share of new connections that get a fault (0: none from now on).
    public var share: Double {
        get { lock.withLock { faultShare } }
        set { lock.withLock { faultShare = newValue } }
    }

    /// The start of a request or of its answer, as the proxy sees bytes change direction on a
    /// connection (HTTP/1.1 sends one request at a time on a connection).
    public enum Moment: String, Sendable, CaseIterable {
        /// The client's first bytes of a request, before they are passed on.
        case request
        /// The server's first bytes of its answer, before they are passed on.
        case response
    }

    private var watcher: (@Sendable (_ exchange: Int, _ moment: Moment) -> Void)?
    private var exchangeCount = 0

    /// Calls `body` at the start of every request (numbered from 0 across connections, in the
    /// order they start) and of every answer (with its request's number), on the proxy's
    /// event loop and before the bytes go on: a test kills a process there to crash it at
    /// an exact step of a sync.
    public func watch(_ body: @escaping @Sendable (_ exchange: Int, _ moment: Moment) -> Void) {
        lock.withLock { watcher = body }
    }

    /// How many requests started.
    public var exchanges: Int { lock.withLock { exchangeCount } }

    func began(_ moment: Moment, exchange: Int?) -> Int {
        let (number, watcher) = lock.withLock { () -> (Int, (@Sendable (Int, Moment) -> Void)?) in
            if let exchange { return (exchange, self.watcher) }
            defer { exchangeCount += 1 }
            return (exchangeCount, self.watcher)
        }
        watcher?(number, moment)
        return number
    }

    /// How many connections got each fault so far.
    public var counts: [Fault: Int] { lock.withLock { faultCounts } }

    /// How many connections the proxy accepted.
    public var connections: Int { lock.withLock { connectionCount } }

    /// Stops breaking connections: no new one gets a fault, and every open one (stalled, or
    /// with a fault still to strike) is closed, so the clients connect afresh.
    public func heal() {
        share = 0
        for channel in lock.withLock({ Array(open.values) }) { try? channel.close().wait() }
    }

    /// Closes the listening socket and every connection (stalled ones too).
    public func stop() {
        try? serverChannel.close().wait()
        for channel in lock.withLock({ Array(open.values) }) { try? channel.close().wait() }
    }

    private func track(_ channel: Channel) {
        lock.withLock { open[ObjectIdentifier(channel)] = channel }
        channel.closeFuture.whenComplete { [weak self] _ in
            self?.lock.withLock { _ = self?.open.removeValue(forKey: ObjectIdentifier(channel)) }
        }
    }

    /// Draws the fault of a new connection and the byte count where it strikes.
    private func draw() -> (Fault?, Int, Int64) {
        lock.withLock {
            connectionCount += 1
            let roll = Double.random(in: 0..<1, using: &generator)
            let at = Int.random(in: 1...1500, using: &generator)
            let delay = Int64.random(in: 2...20, using: &generator)
            guard roll < faultShare else { return (nil, at, delay) }
            let fault = faults.randomElement(using: &generator)!
            faultCounts[fault, default: 0] += 1
            return (fault, at, delay)
        }
    }

    private func accept(_ client: Channel) {
        track(client)
        let (fault, at, delay) = draw()
        let link = Link(proxy: self, client: client, fault: fault, strikeAt: at, delay: .milliseconds(delay))
        connect().whenComplete { result in
            switch result {
            case .success(let server):
                self.track(server)
                link.attach(server: server)
                if fault == .duplicate {
                    self.connect().whenSuccess { twin in
                        self.track(twin)
                        link.attach(twin: twin)
                    }
                }
                _ = client.pipeline.addHandler(Side(link: link, isClient: true)).map {
                    client.setOption(.autoRead, value: true)
                }
            case .failure:
                client.close(promise: nil)
            }
        }
    }

    private func connect() -> EventLoopFuture<Channel> {
        ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .connect(host: "127.0.0.1", port: upstreamPort)
    }
}

/// Lets the bootstrap's initializer reach the proxy made after the bind.
private final class ProxyBox: @unchecked Sendable {
    // Safe: written once, before the first connection can be accepted, then only read.
    var proxy: FaultProxy?
}

/// One proxied connection: the client's channel, the server's, and the fault between them.
private final class Link: @unchecked Sendable {
    // Safe: the counters and the partner channels are guarded by `lock`.
    unowned let proxy: FaultProxy
    let client: Channel
    let fault: FaultProxy.Fault?
    let strikeAt: Int
    let delay: TimeAmount
    private let lock = NSLock()
    /// The direction bytes went last, and the number of the request under way.
    private var direction: FaultProxy.Moment?
    private var exchange: Int?
    private var server: Channel?
    private var twin: Channel?
    private var requestBytes = 0
    private var responseBytes = 0
    private var struck = false

    init(proxy: FaultProxy, client: Channel, fault: FaultProxy.Fault?, strikeAt: Int, delay: TimeAmount) {
        self.proxy = proxy
        self.client = client
        self.fault = fault
        self.strikeAt = strikeAt
        self.delay = delay
    }

    func attach(server: Channel) {
        lock.withLock { self.server = server }
        _ = server.pipeline.addHandler(Side(link: self, isClient: false))
    }

    func attach(twin: Channel) {
        lock.withLock { self.twin = twin }
        _ = twin.pipeline.addHandler(Side(link: self, isClient: false, drops: true))
    }

    /// Tells the proxy when bytes change direction (a request or an answer starts).
    private func turn(_ moment: FaultProxy.Moment) {
        let starts = lock.withLock { () -> Bool in
            defer { direction = moment }
            return direction != moment
        }
        guard starts else { return }
        let number = proxy.began(moment, exchange: moment == .request ? nil : lock.withLock { exchange })
        if moment == .request { lock.withLock { exchange = number } }
    }

    /// Bytes the client sent.
    func fromClient(_ buffer: ByteBuffer) {
        turn(.request)
        let (server, twin, before) = lock.withLock { () -> (Channel?, Channel?, Int) in
            defer { requestBytes += buffer.readableBytes }
            return (self.server, self.twin, requestBytes)
        }
        guard let server, !lock.withLock({ struck }) else { return }
        switch fault {
        case .reset:
            strike()
            // SO_LINGER 0: closing sends RST instead of FIN.
            let client = self.client
            if let provider = client as? SocketOptionProvider {
                provider.setSoLinger(linger(l_onoff: 1, l_linger: 0)).whenComplete { _ in client.close(promise: nil) }
            } else {
                client.close(promise: nil)
            }
            server.close(promise: nil)
        case .cutRequest, .stall:
            let cut = before + buffer.readableBytes > strikeAt
            let keep = cut ? max(0, strikeAt - before) : buffer.readableBytes
            if keep > 0 { server.writeAndFlush(buffer.getSlice(at: buffer.readerIndex, length: keep)!, promise: nil) }
            if cut {
                strike()
                if fault == .cutRequest { closeAll() }
            }
        case .delay:
            client.eventLoop.scheduleTask(in: delay) { server.writeAndFlush(buffer, promise: nil) }
        default:
            server.writeAndFlush(buffer, promise: nil)
            twin?.writeAndFlush(buffer, promise: nil)
        }
    }

    /// Bytes the server sent.
    func fromServer(_ buffer: ByteBuffer) {
        turn(.response)
        let before = lock.withLock { () -> Int in
            defer { responseBytes += buffer.readableBytes }
            return responseBytes
        }
        guard fault == .stall || !lock.withLock({ struck }) else { return }
        switch fault {
        case .cutResponse, .stallResponse:
            let cut = before + buffer.readableBytes > strikeAt
            let keep = cut ? max(0, strikeAt - before) : buffer.readableBytes
            if keep > 0 { client.writeAndFlush(buffer.getSlice(at: buffer.readerIndex, length: keep)!, promise: nil) }
            if cut {
                strike()
                if fault == .cutResponse { closeAll() }
            }
        case .delay:
            client.eventLoop.scheduleTask(in: delay) { self.client.writeAndFlush(buffer, promise: nil) }
        default:
            client.writeAndFlush(buffer, promise: nil)
        }
    }

    private func strike() { lock.withLock { struck = true } }

    /// Closes both ends (and the twin): what a cut cable or a crashed router does.
    func closeAll() {
        let (server, twin) = lock.withLock { (self.server, self.twin) }
        client.close(promise: nil)
        server?.close(promise: nil)
        twin?.close(promise: nil)
    }

    /// One end closed: the other goes too, unless the connection is stalled on purpose.
    func closed() {
        if fault == .stall || fault == .stallResponse, lock.withLock({ struck }) { return }
        closeAll()
    }
}

/// Reads one end of a link and hands the bytes over.
private final class Side: ChannelInboundHandler, @unchecked Sendable {
    // Safe: NIO calls a handler on its channel's event loop only.
    typealias InboundIn = ByteBuffer
    let link: Link
    let isClient: Bool
    let drops: Bool

    init(link: Link, isClient: Bool, drops: Bool = false) {
        self.link = link
        self.isClient = isClient
        self.drops = drops
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        guard !drops else { return }
        if isClient { link.fromClient(buffer) } else { link.fromServer(buffer) }
    }

    func channelInactive(context: ChannelHandlerContext) {
        if !drops { link.closed() }
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}
