import CoreMetrics
import DefenceCore
import DefenceProtocol
import Foundation

/// Everything the server needs to run. Defaults are the embedded development defaults.
public struct ServerConfiguration: Sendable {
    /// The address to listen on.
    public var host: String = "127.0.0.1"
    /// The TCP port; 0 picks a free one.
    public var port: Int = 7443
    /// The listening socket's accept queue: connections whose TCP handshake is done, waiting for the server to take
    /// them. 16,384, room for a whole certification day's clients arriving at once (12,000 in the bench); a full
    /// queue drops new connections, which the clients' TCP retries only after 1, 3, 7 s (docs/performance.md).
    /// Linux caps it at `net.core.somaxconn` (4,096 by default): the server warns at start when it does.
    public var listenBacklog: Int = 16_384
    /// Where the database and the first admin's token file live.
    public var dataDirectory: String = "data"
    /// Where development certificates are generated when no certificate is configured.
    public var certsDirectory: String = "Certs"
    /// A PEM certificate chain to serve instead of the development certificate.
    public var certificatePath: String?
    /// The PEM private key of ``certificatePath``.
    public var privateKeyPath: String?
    /// A PEM file of the certificate authorities that issue admins' client certificates. When set, the server asks
    /// every client for a certificate (optional for candidates and jurors) and accepts an admin's token only on a
    /// connection that presented a certificate from these authorities whose subject common name is the admin's id.
    public var adminClientCAPath: String?
    /// Whether TLS 1.3 key exchange offers the post-quantum hybrid X25519MLKEM768 (first) besides X25519 and P-256.
    public var postQuantumKeyExchange = false
    /// The protocol limits announced in the greeting.
    public var limits: Limits = .standard
    /// How long a connection may stay unauthenticated (TLS handshake included), in seconds. 30: when 12,000
    /// clients reconnect at once after a restart, two cores need about 10 s for their handshakes, and a shorter
    /// deadline turns a slow handshake into a second one (docs/performance.md).
    public var authTimeout: TimeInterval = 30
    /// After this many seconds without input the server sends `PING`.
    public var pingInterval: TimeInterval = 30
    /// After this many seconds without input the connection is closed with `IDLE_TIMEOUT`.
    public var idleTimeout: TimeInterval = 90
    /// The most lines waiting to be written to one connection before it is closed as a slow consumer.
    public var outboundQueueLimit: Int = 1024
    /// How long a slow consumer has, once told, to read why it is disconnected before its socket is closed, in
    /// seconds (PROTOCOL.md §6.6).
    public var slowConsumerGrace: TimeInterval = 30
    /// Lines a connection may send per second, on average.
    public var linesPerSecond: Double = 100
    /// Lines a connection may send in a burst.
    public var lineBurst: Double = 500
    /// The loopback port of the Prometheus metrics endpoint (`GET /metrics`); nil: no endpoint; 0: any port. The
    /// endpoint exposes ``metricsFactory``, which must then be a `PrometheusMetricsFactory`
    /// (``ServerMetrics/prometheusFactory()``).
    public var metricsPort: Int?
    /// The swift-metrics backend the server records through (see ``ServerMetrics``); by default the process's
    /// (`MetricsSystem.factory`: nothing is recorded unless the executable bootstrapped one).
    public var metricsFactory: any MetricsFactory = MetricsSystem.factory
    /// Throttling of failed authentications per address.
    public var authThrottle: AuthThrottle.Policy = .init()
    /// The domain clock (timers, event times); injected in tests.
    public var clock: any ServerClock = SystemServerClock()
    /// The zone the records (PVs, transcripts) write their times in; the data keeps UTC.
    public var timeZone: TimeZone = TimeZone(identifier: "Europe/Paris") ?? .gmt
    /// The most events replayed by `RESUME`; a client further behind gets a snapshot instead.
    public var resumeWindow: Int = 1000
    /// How often the server records that it is alive, in seconds (dates a crash for the outage ledger).
    public var heartbeatInterval: TimeInterval = 2

    /// The current domain time.
    public var now: @Sendable () -> Date {
        let clock = self.clock
        return { clock.now() }
    }

    /// How the rooms fingerprint the idempotency keys they hold in memory (tests give one with collisions).
    var requestKeyFingerprint: RequestKeyIndex.Fingerprint = RequestKeyIndex.standard

    /// Creates the default configuration.
    public init() {}

    /// The database file inside the data directory.
    public var databasePath: String { (dataDirectory as NSString).appendingPathComponent("defence.sqlite") }
    /// The file receiving the first admin's token.
    public var adminTokenPath: String { (dataDirectory as NSString).appendingPathComponent("admin.token") }
}
