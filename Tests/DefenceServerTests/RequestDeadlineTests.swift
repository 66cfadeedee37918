@testable import DefenceClient
import DefenceProtocol
import Foundation
import NIOCore
import NIOPosix
import NIOSSL
import Testing

/// A TLS server that greets, accepts any token, and then never answers: what a client sees of a server that
/// hangs after authentication.
private final class SilentAfterAuth: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    func channelActive(context: ChannelHandlerContext) {
        context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: "HELLO \(ProtocolVersion.current) :silent\n")), promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let text = String(buffer: unwrapInboundIn(data))
        if text.contains("@id=auth AUTH ") {
            context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: "@id=auth OK AUTH lea candidate :Léa\n")), promise: nil)
        }
    }
}

@Suite struct RequestDeadlineTests {
    /// Runs `body` with a session authenticated by a TLS listener (the test server's certificate) that goes silent
    /// after `AUTH`; closes the session after.
    func withSilentSession(_ body: (LiveSession) async throws -> Void) async throws {
        try await withServer { server in
            let certs = server.folder + "/Certs"
            let certificate = try NIOSSLCertificate.fromPEMFile(certs + "/server.pem")
            let key = try NIOSSLPrivateKey(file: certs + "/server-key.pem", format: .pem)
            let context = try NIOSSLContext(configuration: .makeServerConfiguration(certificateChain: certificate.map { .certificate($0) }, privateKey: .privateKey(key)))
            let listener = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .childChannelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: context))
                        try channel.pipeline.syncOperations.addHandler(SilentAfterAuth())
                    }
                }
                .bind(host: "127.0.0.1", port: 0).get()
            defer { listener.close(promise: nil) }
            let port = try #require(listener.localAddress?.port)
            let session = LiveSession(endpoint: ServerEndpoint(host: "127.0.0.1", port: port, caFile: server.caPath), token: "any")
            try await session.start()
            try await body(session)
            await session.close()
        }
    }

    /// Requests' deadlines are swept by one timer of the connection's event loop, armed for the earliest; a request
    /// must still fail at its own deadline when no reply comes.
    @Test func aRequestWithoutReplyFailsAtItsDeadline() async throws {
        try await withSilentSession { session in
            // Without a working deadline the request would wait forever: closing the session after 10 s ends it
            // with `closed` instead, and the test fails.
            let watchdog = Task {
                try await Task.sleep(for: .seconds(10))
                await session.close()
            }
            defer { watchdog.cancel() }
            let started = ContinuousClock.now
            await #expect(throws: ClientError.timeout) {
                _ = try await session.request(.whoami, timeout: .milliseconds(300))
            }
            let waited = ContinuousClock.now - started
            #expect(waited >= .milliseconds(300) && waited < .seconds(10), "\(waited)")
            // The session is still usable for the next request (which times out the same way here).
            await #expect(throws: ClientError.timeout) {
                _ = try await session.request(.whoami, timeout: .milliseconds(100))
            }
        }
    }

    /// A request with a short deadline sent behind one with a long deadline fails at its own deadline, not at the
    /// other's (the armed sweep is for the later one); the long one then fails at its own.
    @Test func anEarlierDeadlineBehindALaterOneFailsOnTime() async throws {
        try await withSilentSession { session in
            let started = ContinuousClock.now
            let long = Task { try await session.request(.whoami, timeout: .seconds(3)) }
            try await Task.sleep(for: .milliseconds(50))
            await #expect(throws: ClientError.timeout) {
                _ = try await session.request(.whoami, timeout: .milliseconds(300))
            }
            let short = ContinuousClock.now - started
            #expect(short >= .milliseconds(300) && short < .seconds(2), "\(short)")
            await #expect(throws: ClientError.timeout) { _ = try await long.value }
            let waited = ContinuousClock.now - started
            #expect(waited >= .seconds(3) && waited < .seconds(8), "\(waited)")
        }
    }

    /// Answered requests arm no timer of their own: one sweep covers a session's requests while it is armed before
    /// their deadlines (a timer per request, and its cancellation, cost the bench 12 % of its CPU under the push).
    @Test func answeredRequestsShareOneArmedSweep() async throws {
        try await withServer { server in
            let session = LiveSession(endpoint: ServerEndpoint(host: "127.0.0.1", port: server.port, caFile: server.caPath), token: server.adminToken)
            try await session.start()
            for _ in 0..<50 {
                #expect(try await session.request(.whoami).terminal.verb == "OK")
            }
            // The first request's (or the session's first `PING`, 10 s, sent at once), and at most one more.
            let armed = await session.sweepsArmed
            #expect(armed >= 1 && armed <= 2, "\(armed) sweeps armed for 50 requests")
            await session.close()
        }
    }
}
