import ArgumentParser
import CoreMetrics
import DefenceServer
import DefenceStore
import Foundation
import Logging
import ServiceLifecycle

/// `defence-server serve`: runs the server until SIGINT or SIGTERM.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the server until SIGINT or SIGTERM (the default subcommand).",
        discussion: """
            TLS: without --cert and --key, a development CA and a server certificate for localhost, \
            127.0.0.1 and ::1 are generated into the certificates folder (ca.pem is what clients trust). \
            With --cert and --key, that chain and key are served instead and nothing is generated.

            On an empty database, the first admin 'admin' is created; its token is printed once and \
            written to <data-dir>/admin.token (mode 0600).

            On SIGINT or SIGTERM the server stops accepting connections, sends every session \
            'FAIL * SHUTTING_DOWN', closes them and exits with status 0.
            """
    )

    /// The library's defaults, which the options show and start from (one place to change them).
    private static let defaults = ServerConfiguration()

    @Option(help: "The address to listen on.")
    var host: String = Self.defaults.host

    @Option(help: "The TCP port to listen on; 0 picks a free port (printed at start).")
    var port: Int = Self.defaults.port

    @Option(help: "The listening socket's accept queue: connections waiting to be taken, e.g. a whole day's clients arriving at once; the system may cap it (Linux: net.core.somaxconn, warned at start).")
    var backlog: Int = Self.defaults.listenBacklog

    @Option(help: "The folder of the SQLite database and of admin.token; created if missing.")
    var dataDir: String = Self.defaults.dataDirectory

    @Option(help: "The folder where development certificates are generated when --cert/--key are not given.")
    var certsDir: String = Self.defaults.certsDirectory

    @Option(help: "A PEM certificate chain to serve (with --key) instead of the development certificate.")
    var cert: String?

    @Option(help: "The PEM private key of --cert.")
    var key: String?

    @Option(help: "A PEM file of the CA(s) issuing admins' client certificates: admins must then present one whose common name is their user id ('defence-server certs client USER' makes one in development).")
    var adminClientCa: String?

    @Flag(help: "Also accept the post-quantum hybrid key exchange X25519MLKEM768 (TLS 1.3), chosen when a client offers it first (defence --post-quantum); it costs more handshake CPU. Default: X25519 and P-256.")
    var postQuantum = false

    @Option(help: "Seconds a connection may stay unauthenticated, TLS handshake included (long enough for a reconnection storm's handshakes: see docs/performance.md).")
    var authTimeout: Double = Self.defaults.authTimeout

    @Option(help: "Seconds of silence after which the server sends PING.")
    var pingInterval: Double = Self.defaults.pingInterval

    @Option(help: "Seconds of silence after which the connection is closed with IDLE_TIMEOUT.")
    var idleTimeout: Double = Self.defaults.idleTimeout

    @Option(help: "Lines a connection may send per second on average (flood guard).")
    var linesPerSecond: Double = Self.defaults.linesPerSecond

    @Option(help: "Lines a connection may send in a burst (flood guard).")
    var lineBurst: Double = Self.defaults.lineBurst

    @Option(help: "Serve Prometheus metrics (GET /metrics) on this loopback port; off when not given.")
    var metricsPort: Int?

    @Option(help: "Log level: trace, debug, info, notice, warning, error or critical.")
    var logLevel: String = "info"
    @Option(help: "The time zone PVs and transcripts write their times in (an IANA name); the data keeps UTC.")
    var timeZone: String = "Europe/Paris"

    func validate() throws {
        guard (0...65_535).contains(port) else { throw ValidationError("--port must be between 0 and 65535") }
        guard (1...Int(Int32.max)).contains(backlog) else { throw ValidationError("--backlog must be between 1 and \(Int32.max)") }
        if (cert == nil) != (key == nil) { throw ValidationError("--cert and --key go together") }
        guard authTimeout > 0, pingInterval > 0, idleTimeout > pingInterval else {
            throw ValidationError("timeouts must be positive, and --idle-timeout longer than --ping-interval")
        }
        guard Logger.Level(rawValue: logLevel) != nil else { throw ValidationError("unknown --log-level \(logLevel)") }
        guard TimeZone(identifier: timeZone) != nil else { throw ValidationError("unknown --time-zone \(timeZone); give an IANA name such as Europe/Paris") }
    }

    func run() async throws {
        let level = Logger.Level(rawValue: logLevel) ?? .info
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "defence-server")

        var configuration = ServerConfiguration()
        configuration.host = host
        configuration.port = port
        configuration.listenBacklog = backlog
        configuration.dataDirectory = dataDir
        configuration.certsDirectory = certsDir
        configuration.authTimeout = authTimeout
        configuration.pingInterval = pingInterval
        configuration.idleTimeout = idleTimeout
        if let zone = TimeZone(identifier: timeZone) { configuration.timeZone = zone }
        configuration.linesPerSecond = linesPerSecond
        configuration.lineBurst = lineBurst
        configuration.metricsPort = metricsPort
        if metricsPort != nil {
            // The server records through swift-metrics; this backend is what the endpoint exposes. Another backend
            // (OpenTelemetry through swift-otel, say) is bootstrapped here instead, without touching the server.
            let prometheus = ServerMetrics.prometheusFactory()
            MetricsSystem.bootstrap(prometheus)
            configuration.metricsFactory = prometheus
        }
        configuration.adminClientCAPath = adminClientCa
        configuration.postQuantumKeyExchange = postQuantum

        let prepared = try ServerSetup.prepare(&configuration, certificate: cert, key: key, logger: logger)
        let database = try DefenceDatabase(path: configuration.databasePath, metrics: configuration.metricsFactory)
        let (bundled, activated) = try await ServerSetup.installBundledReferential(database: database, now: configuration.now())
        if activated {
            logger.notice("bundled referential is active for new rooms", metadata: ["hash": "\(bundled.hash)"])
        }
        if let secret = try await ServerSetup.bootstrapAdmin(database: database, configuration: configuration) {
            say("First admin created: user 'admin'. Its access token (shown once, also in \(configuration.adminTokenPath)):")
            say(secret)
        }
        let server = try await DefenceServer.bind(configuration: configuration, database: database, logger: logger)
        if prepared.generatedCertificates {
            say("Development certificates generated in \(certsDir); clients trust \(prepared.caPath ?? "-").")
        }
        say("defence-server \(DefenceServer.version) listening on \(host):\(server.port) (TLS)")
        if let port = server.metricsPort { say("metrics on http://127.0.0.1:\(port)/metrics") }

        let group = ServiceGroup(
            configuration: .init(
                services: [.init(service: server)],
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger
            )
        )
        try await group.run()
        say("defence-server stopped")
    }
}

/// Writes a line to standard output at once (unbuffered), so that scripts and tests see it immediately.
func say(_ text: String) {
    FileHandle.standardOutput.write(Data((text + "\n").utf8))
}

/// Writes a line to standard error at once: why a command failed.
func sayError(_ text: String) {
    FileHandle.standardError.write(Data(("defence-server: " + text + "\n").utf8))
}
