import DefenceClient
import DefenceCore
import DefenceProtocol
import DefenceServer
import DefenceStore
import Foundation
import Logging
import NIOSSL
import Prometheus
import Testing

/// A real TLS server on 127.0.0.1, port 0, over a fresh temporary data folder and development certificates.
final class TestServer: Sendable {
    let server: DefenceServer
    let database: DefenceDatabase
    let adminToken: String
    let caPath: String
    let folder: String
    let runTask: Task<Void, Error>

    static func start(_ configure: (inout ServerConfiguration) -> Void = { _ in }) async throws -> TestServer {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("defence-e2e-\(UUID().uuidString)").path
        var configuration = ServerConfiguration()
        configuration.port = 0
        configuration.dataDirectory = folder + "/data"
        configuration.certsDirectory = folder + "/Certs"
        configure(&configuration)
        return try await start(configuration: configuration, folder: folder)
    }

    /// Stops this server (keeping its data) and starts a new one on the same port and data, after `downtime`.
    func restarted(downtime: Duration = .zero) async throws -> TestServer {
        server.shutdown()
        _ = try? await runTask.value
        try await Task.sleep(for: downtime)
        var configuration = self.configuration
        configuration.port = port
        return try await Self.start(configuration: configuration, folder: folder, adminToken: adminToken)
    }

    static func start(configuration: ServerConfiguration, folder: String, adminToken: String? = nil) async throws -> TestServer {
        var configuration = configuration
        var logger = Logger(label: "test-server")
        logger.logLevel = .critical
        if configuration.metricsPort != nil && !(configuration.metricsFactory is PrometheusMetricsFactory) {
            configuration.metricsFactory = ServerMetrics.prometheusFactory()
        }
        let prepared = try ServerSetup.prepare(&configuration, certificate: nil, key: nil, logger: logger)
        let database = try DefenceDatabase(path: configuration.databasePath, metrics: configuration.metricsFactory)
        try await ServerSetup.installBundledReferential(database: database, now: configuration.now())
        let token: String
        if let adminToken {
            token = adminToken
        } else {
            token = try #require(try await ServerSetup.bootstrapAdmin(database: database, configuration: configuration))
        }
        let server = try await DefenceServer.bind(configuration: configuration, database: database, logger: logger)
        let task = Task { try await server.run() }
        return TestServer(
            server: server,
            database: database,
            adminToken: token,
            caPath: try #require(prepared.caPath),
            folder: folder,
            runTask: task,
            configuration: configuration
        )
    }

    let configuration: ServerConfiguration

    private init(
        server: DefenceServer,
        database: DefenceDatabase,
        adminToken: String,
        caPath: String,
        folder: String,
        runTask: Task<Void, Error>,
        configuration: ServerConfiguration
    ) {
        self.configuration = configuration
        self.server = server
        self.database = database
        self.adminToken = adminToken
        self.caPath = caPath
        self.folder = folder
        self.runTask = runTask
    }

    var port: Int { server.port }
    var tls: TLSConfiguration { ClientTLS.configuration(caFile: caPath) }

    /// A raw line connection whose greeting has been read.
    func connect(host: String = "127.0.0.1", readGreeting: Bool = true) async throws -> LineConnection {
        let connection = try await LineConnection.connect(host: host, port: port, tls: tls)
        if readGreeting {
            let greeting = try await connection.nextLine()
            #expect(greeting.hasPrefix("HELLO defence/1 "))
        }
        return connection
    }

    /// A raw connection authenticated with `token`.
    func connect(token: String) async throws -> LineConnection {
        let connection = try await connect()
        try await connection.send("AUTH \(token)")
        var reply = try await connection.nextLine()
        // A loaded machine may let a short ping interval expire first: server PINGs may come before the reply.
        while reply.hasPrefix("PING ") { reply = try await connection.nextLine() }
        #expect(reply.hasPrefix("OK AUTH "), "\(reply)")
        return connection
    }

    /// Creates a user through the protocol and returns a token for it.
    func makeUser(_ id: String, role: Role, name: String = "Test User") async throws -> String {
        let admin = try await DefenceConnection.connect(host: "127.0.0.1", port: port, tls: tls)
        try await admin.authenticate(token: adminToken)
        _ = try await admin.request(.userCreate(user: id, role: role.rawValue, email: nil, displayName: name))
        let reply = try await admin.request(.tokenIssue(user: id, expiry: nil, label: nil))
        await admin.close()
        return try #require(TokenIssuedReply(reply.terminal)).token
    }

    func stop() async {
        server.shutdown()
        _ = try? await runTask.value
        try? FileManager.default.removeItem(atPath: folder)
    }
}

/// Runs `body` against a fresh server, stopping it afterwards whatever happens.
func withServer(
    _ configure: (inout ServerConfiguration) -> Void = { _ in },
    _ body: (TestServer) async throws -> Void
) async throws {
    let server = try await TestServer.start(configure)
    do {
        try await body(server)
    } catch {
        await server.stop()
        throw error
    }
    await server.stop()
}

/// Parses a server line for assertions.
func parsed(_ line: String) throws -> Message {
    try #require(try LineParser(limits: .serverLines).parse(line))
}
