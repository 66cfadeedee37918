import DefenceCore
import DefenceProtocol
import DefenceStore
import Foundation
import Logging
import DefenceChannel
import NIOCore
import NIOPosix
import NIOSSL
import Prometheus
import ServiceLifecycle
import Synchronization
import UnixSignals

/// The Defence Rooms TLS server: accepts connections, runs one ``Session`` per connection.
///
/// Create it with ``bind(configuration:database:logger:)``, then call ``run()`` (directly or as a
/// `Service` in a `ServiceGroup`). A graceful shutdown — ``shutdown()``, or the service group's on
/// SIGINT/SIGTERM — stops accepting, tells every session `FAIL * SHUTTING_DOWN`, waits for the
/// connections to close and returns.
public final class DefenceServer: Service, Sendable {
    /// The version announced in the greeting.
    public static let version = ProductVersion.current

    private let serverChannel: NIOAsyncChannel<Void, Never>
    private let context: ServerContext
    /// The open connections, which a shutdown waits for.
    private let tracker: ConnectionTracker
    /// The TLS context new connections use; replaced on SIGHUP.
    private let tls: TLSBox
    /// The metrics endpoint's channel, when enabled.
    private let metricsChannel: Channel?

    /// The port of the metrics endpoint, when enabled.
    public var metricsPort: Int? { metricsChannel?.localAddress?.port }

    /// The address the server listens on (with the real port when 0 was asked).
    public let localAddress: SocketAddress

    /// The port the server listens on.
    public var port: Int { localAddress.port ?? 0 }

    /// The accept queue the kernel gave the listening socket: ``ServerConfiguration/listenBacklog``, or less where
    /// the system caps it (Linux: `net.core.somaxconn`); nil where it cannot be read (not Linux).
    public var listenBacklog: Int? {
        get async {
            #if os(Linux)
            // For a listening socket, Linux reports its accept queue's size in `tcpi_sacked`.
            guard let provider = serverChannel.channel as? any SocketOptionProvider,
                let info = try? await provider.getTCPInfo().get()
            else { return nil }
            return Int(info.tcpi_sacked)
            #else
            return nil
            #endif
        }
    }

    private init(
        serverChannel: NIOAsyncChannel<Void, Never>, localAddress: SocketAddress, context: ServerContext, tracker: ConnectionTracker,
        tls: TLSBox, metricsChannel: Channel?
    ) {
        self.serverChannel = serverChannel
        self.context = context
        self.tracker = tracker
        self.tls = tls
        self.metricsChannel = metricsChannel
        self.localAddress = localAddress
    }

    /// Loads the TLS material and binds the listening socket.
    ///
    /// - Parameters:
    ///   - configuration: the server's settings; `certificatePath` and `privateKeyPath` must be set.
    ///   - database: the opened database.
    ///   - logger: where the server logs.
    /// - Throws: when the certificate or key cannot be loaded, or the address cannot be bound.
    public static func bind(
        configuration: ServerConfiguration,
        database: DefenceDatabase,
        logger: Logger
    ) async throws -> DefenceServer {
        guard let certificatePath = configuration.certificatePath, let keyPath = configuration.privateKeyPath else {
            throw ServerSetupError("no certificate configured: set both the certificate and the private key")
        }
        let tls = TLSBox(try makeTLSContext(certificatePath: certificatePath, keyPath: keyPath, adminClientCAPath: configuration.adminClientCAPath, postQuantum: configuration.postQuantumKeyExchange))
        // The endpoint exposes the Prometheus backend's registry; any other backend has its own way out.
        var exposed: PrometheusCollectorRegistry?
        if configuration.metricsPort != nil {
            guard let prometheus = configuration.metricsFactory as? PrometheusMetricsFactory else {
                throw ServerSetupError("the metrics endpoint serves the Prometheus backend: set metricsFactory to ServerMetrics.prometheusFactory()")
            }
            exposed = prometheus.registry
        }
        let metrics = ServerMetrics(factory: configuration.metricsFactory)
        let registry = SessionRegistry(connections: metrics.connections)
        let accounts = AccountStore(database: database)
        let referentials = ReferentialCatalog(store: ReferentialStore(database: database))
        let rooms = RoomHub(
            store: RoomStore(database: database),
            referentials: referentials,
            configuration: configuration,
            metrics: metrics,
            logger: logger
        )
        try await rooms.start()
        let context = ServerContext(
            configuration: configuration,
            accounts: accounts,
            registry: registry,
            authGate: AuthGate(policy: configuration.authThrottle),
            router: CommandRouter(
                accounts: accounts,
                referentials: referentials,
                rooms: rooms,
                planner: RoomPlanner(rooms: rooms, accounts: accounts, referentials: referentials, now: configuration.now),
                registry: registry,
                now: configuration.now,
                timeZone: configuration.timeZone
            ),
            rooms: rooms,
            logger: logger,
            serverName: "defence-server/\(version)"
        )
        let tracker = ConnectionTracker()
        let maxLine = configuration.limits.maxLineBytes
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.backlog, value: ChannelOptions.Types.BacklogOption.Value(clamping: configuration.listenBacklog))
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelOption(.socketOption(.so_keepalive), value: 1)
            // NIO's defaults, written down: the outbox stops handing lines to a connection holding 64 KiB unsent,
            // and starts again under 32 KiB (its queue meanwhile counts against the slow-consumer limit).
            .childChannelOption(.writeBufferWaterMark, value: .init(low: 32 * 1024, high: 64 * 1024))
            // TLS's per-connection buffers mapped page by page: only what a connection writes is resident.
            .childChannelOption(.allocator, value: PageBackedAllocator.allocator)
            .bind(host: configuration.host, port: configuration.port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: tls.current))
                    try channel.pipeline.syncOperations.addHandler(
                        ByteToMessageHandler(LineFrameDecoder(maxLineBytes: maxLine))
                    )
                    // Written from the event loop by the outbox, which the channel's writability holds back.
                    let outbox = Outbox(limit: configuration.outboundQueueLimit, sink: ChannelSink(channel: channel))
                    try channel.pipeline.syncOperations.addHandler(OutboxWritabilityHandler(outbox: outbox))
                    let executor = EventLoopTaskExecutor(channel.eventLoop)
                    let address = channel.remoteAddress?.ipAddress ?? "unknown"
                    var connectionLogger = logger
                    connectionLogger[metadataKey: "peer"] = "\(address)"
                    let session = Session(
                        id: registry.makeID(),
                        address: address,
                        context: context,
                        outbox: outbox,
                        channel: channel,
                        executor: executor
                    )
                    try channel.pipeline.syncOperations.addHandler(
                        SessionDriver(session: session, tracker: tracker, executor: executor, logger: connectionLogger)
                    )
                }
            }
        var metricsChannel: Channel?
        if let metricsPort = configuration.metricsPort, let exposed {
            metricsChannel = try await MetricsEndpoint.bind(host: "127.0.0.1", port: metricsPort, registry: exposed)
        }
        guard let localAddress = channel.channel.localAddress else {
            channel.channel.close(promise: nil)
            metricsChannel?.close(promise: nil)
            throw ServerSetupError("the listening socket on \(configuration.host):\(configuration.port) has no local address")
        }
        let server = DefenceServer(
            serverChannel: channel, localAddress: localAddress, context: context, tracker: tracker, tls: tls,
            metricsChannel: metricsChannel
        )
        if let backlog = await server.listenBacklog, backlog < configuration.listenBacklog {
            logger.warning(
                "the system caps the accept queue below what was asked: connections arriving at once beyond it are dropped and retried by their TCP 1 s later or more (raise net.core.somaxconn; Server/README)",
                metadata: ["asked": "\(configuration.listenBacklog)", "granted": "\(backlog)"]
            )
        }
        return server
    }

    static func makeTLSContext(certificatePath: String, keyPath: String, adminClientCAPath: String?, postQuantum: Bool) throws -> NIOSSLContext {
        let chain: [NIOSSLCertificate]
        let key: NIOSSLPrivateKey
        do {
            chain = try NIOSSLCertificate.fromPEMFile(certificatePath)
        } catch {
            throw ServerSetupError("cannot read the certificate chain \(certificatePath): \(error)")
        }
        do {
            key = try NIOSSLPrivateKey(file: keyPath, format: .pem)
        } catch {
            throw ServerSetupError("cannot read the private key \(keyPath): \(error)")
        }
        var tls = TLSConfiguration.makeServerConfiguration(
            certificateChain: chain.map { .certificate($0) },
            privateKey: .privateKey(key)
        )
        tls.minimumTLSVersion = .tlsv12
        // TLS 1.2: forward-secret key exchange (ECDHE) with AEAD ciphers only. TLS 1.3 suites are all of that kind.
        tls.cipherSuites = Self.tls12CipherSuites
        // Key exchange groups: classic X25519 and P-256 by default. The post-quantum hybrid X25519MLKEM768 costs
        // the server about a tenth of its handshake CPU more (docs/performance.md); `--post-quantum` offers it first.
        tls.curves = postQuantum ? [.x25519_MLKEM768, .x25519, .secp256r1] : [.x25519, .secp256r1]
        if let adminClientCAPath {
            // Ask every client for a certificate; one that is presented must chain to these authorities, but
            // candidates and jurors may present none. Admins are checked at AUTH (see Session).
            let authorities: [NIOSSLCertificate]
            do {
                authorities = try NIOSSLCertificate.fromPEMFile(adminClientCAPath)
            } catch {
                throw ServerSetupError("cannot read the admin client CA \(adminClientCAPath): \(error)")
            }
            guard !authorities.isEmpty else { throw ServerSetupError("the admin client CA \(adminClientCAPath) holds no certificate") }
            tls.trustRoots = .certificates(authorities)
            tls.certificateVerification = .optionalVerification
        }
        return try NIOSSLContext(configuration: tls)
    }

    /// The TLS 1.2 cipher suites offered: ECDHE key exchange, AES-GCM or ChaCha20-Poly1305.
    public static let tls12CipherSuites = [
        "ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-RSA-AES128-GCM-SHA256", "ECDHE-ECDSA-AES256-GCM-SHA384",
        "ECDHE-RSA-AES256-GCM-SHA384", "ECDHE-ECDSA-CHACHA20-POLY1305", "ECDHE-RSA-CHACHA20-POLY1305",
    ].joined(separator: ":")

    /// Reloads the certificate chain and key from their files: new connections use them, open sessions keep
    /// theirs. A faulty file leaves the current certificate in place.
    /// - Throws: ``ServerSetupError`` when the files cannot be loaded.
    public func reloadCertificate() throws {
        guard let certificatePath = context.configuration.certificatePath, let keyPath = context.configuration.privateKeyPath else { return }
        tls.current = try Self.makeTLSContext(certificatePath: certificatePath, keyPath: keyPath, adminClientCAPath: context.configuration.adminClientCAPath, postQuantum: context.configuration.postQuantumKeyExchange)
        context.logger.notice("certificate reloaded", metadata: ["certificate": "\(certificatePath)"])
    }

    /// Accepts connections until a graceful shutdown, then closes every session and returns. SIGHUP reloads the
    /// certificate and key.
    public func run() async throws {
        let hangups = Task {
            for await _ in await UnixSignalsSequence(trapping: .sighup) {
                do {
                    try self.reloadCertificate()
                } catch {
                    self.context.logger.error("certificate reload failed; keeping the current one", metadata: ["error": "\(error)"])
                }
            }
        }
        defer { hangups.cancel() }
        try await withGracefulShutdownHandler {
            // Each connection is driven by its pipeline (``SessionDriver``): accepting is all there is to do here.
            try await serverChannel.executeThenClose { inbound in
                for try await _ in inbound {}
            }
            context.logger.info("stopped accepting connections")
            await context.registry.shutDown()
            await tracker.waitUntilNoneOpen()
            await context.rooms.stop()
            context.logger.info("all sessions closed")
        } onGracefulShutdown: {
            self.shutdown()
        }
    }

    /// Starts a graceful shutdown: stops accepting; ``run()`` then closes every session and returns.
    public func shutdown() {
        serverChannel.channel.close(promise: nil)
        metricsChannel?.close(promise: nil)
    }

    /// The number of open sessions.
    public func sessionCount() async -> Int {
        await context.registry.count
    }
}

/// The current TLS context, swapped atomically on reload.
final class TLSBox: Sendable {
    private let context: Mutex<NIOSSLContext>

    init(_ context: NIOSSLContext) {
        self.context = Mutex(context)
    }

    var current: NIOSSLContext {
        get { context.withLock { $0 } }
        set { context.withLock { $0 = newValue } }
    }
}

/// A configuration problem that prevents the server from starting.
public struct ServerSetupError: Error, CustomStringConvertible, Sendable {
    /// What is wrong, for the operator.
    public let description: String

    /// Creates the error.
    public init(_ description: String) {
        self.description = description
    }
}
