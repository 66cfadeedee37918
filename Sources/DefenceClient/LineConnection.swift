import DefenceChannel
import DefenceProtocol
import NIOCore
import NIOPosix
import NIOSSL

/// A TLS connection that sends and receives raw protocol lines.
///
/// The building block of ``DefenceConnection`` and of the end-to-end tests: it does no protocol logic,
/// so it can also send malformed input on purpose.
public final class LineConnection: Sendable {
    private let channel: Channel
    private let inbox: LineInbox

    private init(channel: Channel, inbox: LineInbox) {
        self.channel = channel
        self.inbox = inbox
    }

    /// Opens a TLS connection to `host:port`, verifying the server certificate.
    ///
    /// - Parameters:
    ///   - host: a host name or an IP address. For a name, the certificate must name it (and SNI is sent);
    ///     for an address, the certificate must carry it as an IP subject alternative name.
    ///   - port: the TCP port.
    ///   - tls: the client TLS settings, e.g. from ``ClientTLS/configuration(caFile:)``.
    ///   - maxLineBytes: the longest line accepted from the server.
    ///   - receiveBufferBytes: a socket receive buffer size, to simulate a slow network in tests.
    ///   - pinnedSHA256: when set, the server's certificate must have this SHA-256 fingerprint (hex); the chain
    ///     is then not checked against any CA.
    /// - Throws: connection and TLS errors (an untrusted certificate fails the first read or write).
    public static func connect(
        host: String,
        port: Int,
        tls: TLSConfiguration,
        maxLineBytes: Int = Limits.serverLines.maxLineBytes,
        receiveBufferBytes: Int? = nil,
        pinnedSHA256: String? = nil
    ) async throws -> LineConnection {
        try await connect(
            host: host, port: port, context: try NIOSSLContext(configuration: tls), maxLineBytes: maxLineBytes,
            receiveBufferBytes: receiveBufferBytes, pinnedSHA256: pinnedSHA256
        )
    }

    /// Connects with a TLS context made once (``LiveSession`` keeps one for all its reconnections: making a
    /// context parses the trusted certificates, which a retry every second would otherwise repeat).
    public static func connect(
        host: String,
        port: Int,
        context: NIOSSLContext,
        maxLineBytes: Int = Limits.serverLines.maxLineBytes,
        receiveBufferBytes: Int? = nil,
        pinnedSHA256: String? = nil
    ) async throws -> LineConnection {
        // The connection's event loop, chosen here so that the inbox's deadlines are timers of the same loop.
        let eventLoop = MultiThreadedEventLoopGroup.singleton.next()
        let inbox = LineInbox(eventLoop: eventLoop)
        let serverHostname = Self.isIPAddress(host) ? nil : host
        var bootstrap = ClientBootstrap(group: eventLoop)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
        if let receiveBufferBytes {
            bootstrap = bootstrap.channelOption(.socketOption(.so_rcvbuf), value: SocketOptionValue(receiveBufferBytes))
        }
        let configured = bootstrap
            .connectTimeout(.seconds(10))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let handler: NIOSSLClientHandler
                    if let pin = pinnedSHA256?.lowercased() {
                        // Pinning replaces chain verification: the leaf certificate must have exactly this SHA-256.
                        handler = try NIOSSLClientHandler(context: context, serverHostname: serverHostname) { chain, promise in
                            let matches = (try? chain.first?.toDERBytes()).map { ClientTLS.fingerprint(der: $0) == pin } ?? false
                            promise.succeed(matches ? .certificateVerified : .failed)
                        }
                    } else {
                        handler = try NIOSSLClientHandler(context: context, serverHostname: serverHostname)
                    }
                    try channel.pipeline.syncOperations.addHandler(handler)
                    try channel.pipeline.syncOperations.addHandler(
                        ByteToMessageHandler(LineFrameDecoder(maxLineBytes: maxLineBytes))
                    )
                    try channel.pipeline.syncOperations.addHandler(LineCollector(inbox: inbox))
                }
            }
        // An address is connected to directly: a name goes through NIO's resolver (`getaddrinfo` on a dispatch
        // thread) and Happy Eyeballs, which were 10 % of the bench's CPU in a join storm of 12,000 connections.
        let connected: EventLoopFuture<Channel>
        if let address = try? SocketAddress(ipAddress: host, port: port) {
            connected = configured.connect(to: address)
        } else {
            connected = configured.connect(host: host, port: port)
        }
        let channel: Channel
        do {
            channel = try await connected.get()
        } catch {
            // Refused, unreachable, unresolvable or timed out: nothing answered at that address.
            throw ClientError.unreachable(host: host, port: port, refused: LiveSession.isRefused(error), detail: ClientError.reason(of: error))
        }
        return LineConnection(channel: channel, inbox: inbox)
    }

    static func isIPAddress(_ host: String) -> Bool {
        (try? SocketAddress(ipAddress: host, port: 0)) != nil
    }

    /// Sends one line; the LF is added.
    public func send(_ line: String) async throws {
        try await channel.writeAndFlush(ByteBuffer(line: line))
    }

    /// Queues one line for sending without waiting for it (lines queued one after another leave in that order);
    /// `onFailure` is called if it cannot be written.
    public func enqueue(_ line: String, onFailure: @escaping @Sendable (Error) -> Void) {
        channel.writeAndFlush(ByteBuffer(line: line)).whenFailure(onFailure)
    }

    /// Runs `work` on the connection's event loop at `deadline` (the loop outlives the connection, so it runs even
    /// after a drop). For the session's request deadlines (``LiveSession``).
    func schedule(at deadline: NIODeadline, _ work: @escaping @Sendable () -> Void) {
        channel.eventLoop.scheduleTask(deadline: deadline, work)
    }

    /// Sends raw bytes as they are (no LF added).
    public func sendBytes(_ bytes: [UInt8]) async throws {
        try await channel.writeAndFlush(ByteBuffer(bytes: bytes))
    }

    /// The next line from the server.
    /// - Throws: ``ClientError/timeout``, ``ClientError/closed``, or the error that ended the connection
    ///   (e.g. `NIOSSLError` when the server certificate is not trusted).
    public func nextLine(timeout: Duration? = .seconds(5)) async throws -> String {
        guard let line = try await inbox.next(timeout: timeout) else { throw ClientError.closed }
        return line
    }

    /// Waits until the server closes the connection, returning the lines it sent meanwhile.
    /// - Throws: ``ClientError/timeout`` when the connection is still open after `timeout`; the connection's
    ///   error (e.g. TLS) when it ended with one.
    public func waitForClose(timeout: Duration = .seconds(5)) async throws -> [String] {
        var lines: [String] = []
        while let line = try await inbox.next(timeout: timeout) { lines.append(line) }
        return lines
    }

    /// Stops reading from the socket (lines stay in the kernel's buffers), as a stalled client would.
    public func pauseReading() async throws {
        try await channel.setOption(ChannelOptions.autoRead, value: false).get()
    }

    /// Reads from the socket again after ``pauseReading()``.
    public func resumeReading() async throws {
        try await channel.setOption(ChannelOptions.autoRead, value: true).get()
        channel.read()
    }

    /// Closes the connection.
    public func close() async {
        try? await channel.close()
    }
}

/// Hands decoded lines to the inbox, in order, and closes it when the connection ends.
private final class LineCollector: ChannelInboundHandler, Sendable {
    typealias InboundIn = InboundFrame

    let inbox: LineInbox

    init(inbox: LineInbox) {
        self.inbox = inbox
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .line(let bytes):
            inbox.push(String(decoding: bytes, as: UTF8.self))
        case .overlong:
            inbox.close()
            context.close(promise: nil)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        inbox.close()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        inbox.close(error: error)
        context.close(promise: nil)
    }
}
