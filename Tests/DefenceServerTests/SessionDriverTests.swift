import DefenceChannel
@testable import DefenceServer
import Logging
import NIOCore
import NIOPosix
import Synchronization
import Testing

/// The pipeline handler that drives a connection's session, over real loopback TCP (no TLS): the start before any
/// frame, the frames in order and one step at a time, the reads held back while frames wait, the end after the last
/// frame, and the connection counted until both its channel and its session have ended.
@Suite struct SessionDriverTests {
    /// A session that records its steps; ``receive(_:)`` waits while the gate is closed.
    actor Recorder: DrivenSession {
        private(set) var steps: [String] = []
        private var gateOpen = true
        private var waiting: [CheckedContinuation<Void, Never>] = []

        func open() async { steps.append("open") }

        func receive(_ frame: InboundFrame) async {
            while !gateOpen {
                await withCheckedContinuation { waiting.append($0) }
            }
            switch frame {
            case .line(let bytes): steps.append(String(decoding: bytes, as: UTF8.self))
            case .overlong(let count): steps.append("overlong \(count)")
            }
        }

        func connectionEnded() async { steps.append("end") }

        func close() { gateOpen = false }

        func release() {
            gateOpen = true
            let resumed = waiting
            waiting = []
            for continuation in resumed { continuation.resume() }
        }
    }

    /// The connection a listener accepted last.
    final class Accepted: Sendable {
        private let channel = Mutex<(any Channel)?>(nil)
        var value: (any Channel)? {
            get { channel.withLock { $0 } }
            set { channel.withLock { $0 = newValue } }
        }
    }

    /// A listener whose every connection is driven, over `session`, by a ``SessionDriver`` counted by `tracker`;
    /// returns it and the last connection it accepted.
    func listen(_ session: Recorder, tracker: ConnectionTracker) async throws -> (any Channel, Accepted) {
        let accepted = Accepted()
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    accepted.value = channel
                    try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(LineFrameDecoder(maxLineBytes: 1024)))
                    try channel.pipeline.syncOperations.addHandler(
                        SessionDriver(
                            session: session, tracker: tracker,
                            executor: EventLoopTaskExecutor(channel.eventLoop), logger: Logger(label: "test")
                        )
                    )
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        return (server, accepted)
    }

    func connect(to server: any Channel) async throws -> any Channel {
        try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: "127.0.0.1", port: server.localAddress?.port ?? 0).get()
    }

    /// Waits (up to 20 s, polling) until `condition` holds.
    func eventually(_ condition: () async -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(20)
        while !(await condition()) {
            guard ContinuousClock.now < deadline else { return }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    @Test func stepsComeInOrderAndTheConnectionCountsUntilItsSessionEnded() async throws {
        let session = Recorder()
        let tracker = ConnectionTracker()
        let (server, _) = try await listen(session, tracker: tracker)
        defer { server.close(promise: nil) }
        let client = try await connect(to: server)
        let lines = (1...500).map { "line \($0)" }
        try await client.writeAndFlush(ByteBuffer(string: lines.map { $0 + "\n" }.joined())).get()
        // The server side is counted once its channel is active, which may come after the client's connect.
        try await eventually { await session.steps.first == "open" }
        #expect(tracker.openCount == 1)
        try await client.close().get()
        await tracker.waitUntilNoneOpen()
        #expect(await session.steps == ["open"] + lines + ["end"])
        #expect(tracker.openCount == 0)
    }

    @Test func readsAreHeldWhileFramesWait() async throws {
        let session = Recorder()
        await session.close()
        let tracker = ConnectionTracker()
        let (server, accepted) = try await listen(session, tracker: tracker)
        defer { server.close(promise: nil) }
        let client = try await connect(to: server)
        // 20,000 lines, 680 KB: the kernel's loopback buffers hold them all, so only the driver can stop the
        // server reading them while the session is held on the first one.
        let lines = (1...20_000).map { String(format: "a line of the test, number %06d", $0) }
        client.writeAndFlush(ByteBuffer(string: lines.map { $0 + "\n" }.joined()), promise: nil)
        func waiting() async throws -> Int {
            guard let channel = accepted.value else { return 0 }
            return try await channel.eventLoop.submit {
                try channel.pipeline.syncOperations.handler(type: SessionDriver.self).waitingCount
            }.get()
        }
        try await eventually { (try? await waiting()) ?? 0 >= SessionDriver.highWater }
        // Give the server time to read on, were it not held back.
        try await Task.sleep(for: .milliseconds(500))
        let held = try await waiting()
        // What the reads of one readable event bring may come beyond the mark: NIO's receive buffer starts at 2 KiB
        // and the hold engages after the first event's reads (about 30 KiB, 900 of these lines).
        #expect(held >= SessionDriver.highWater)
        #expect(held < 4_000, "the server read on: \(held) frames waiting")
        await session.release()
        try await eventually { await session.steps.count == lines.count + 1 }
        #expect(await session.steps == ["open"] + lines)
        try await client.close().get()
        await tracker.waitUntilNoneOpen()
        #expect(await session.steps.last == "end")
    }
}
