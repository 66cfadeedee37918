import DefenceClient
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
    /// A request's deadline is a timer of the connection's event loop (removed when the reply comes); it must still
    /// fail the request when no reply comes.
    @Test func aRequestWithoutReplyFailsAtItsDeadline() async throws {
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
            await session.close()
        }
    }
}
