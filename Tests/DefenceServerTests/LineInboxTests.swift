@testable import DefenceClient
import Foundation
import NIOPosix
import NIOSSL
import Testing

/// Lines queued without waiting leave in order; a line that cannot be written reports its failure.
@Suite struct LineConnectionEnqueueTests {
    @Test func enqueuedLinesLeaveInOrderAndAFailedWriteIsReported() async throws {
        try await withServer { server in
            let connection = try await server.connect()
            for n in 1...20 { connection.enqueue("PING t\(n)") { error in Issue.record("write failed: \(error)") } }
            var tokens: [String] = []
            for _ in 1...20 {
                let reply = try parsed(try await connection.nextLine())
                #expect(reply.verb == "PONG")
                tokens.append(reply.parameters.last ?? "")
            }
            #expect(tokens == (1...20).map { "t\($0)" })
            await connection.close()
            let failed = AsyncStream.makeStream(of: Bool.self)
            connection.enqueue("PING late") { _ in failed.continuation.yield(true) }
            var iterator = failed.stream.makeAsyncIterator()
            #expect(await iterator.next() == true)
        }
    }
}

/// The client's inbox of received lines: order, waits with and without a deadline, the end of the connection.
@Suite struct LineInboxTests {
    private struct Broken: Error {}

    @Test func bufferedLinesComeInOrderEvenWithANilOrZeroDeadline() async throws {
        let inbox = LineInbox(eventLoop: MultiThreadedEventLoopGroup.singleton.next())
        for n in 1...300 { inbox.push("line \(n)") }
        var read: [String] = []
        for n in 1...300 {
            read.append(try #require(try await inbox.next(timeout: n % 2 == 0 ? nil : .zero)))
        }
        #expect(read == (1...300).map { "line \($0)" })
    }

    @Test func withoutADeadlineAReaderWaitsForTheNextLine() async throws {
        let inbox = LineInbox(eventLoop: MultiThreadedEventLoopGroup.singleton.next())
        let reader = Task { try await inbox.next(timeout: nil) }
        try await Task.sleep(for: .milliseconds(200))
        inbox.push("late")
        #expect(try await reader.value == "late")
    }

    @Test func aDeadlineThatPassesThrowsTimeoutAndTheNextLineIsStillDelivered() async throws {
        let inbox = LineInbox(eventLoop: MultiThreadedEventLoopGroup.singleton.next())
        await #expect(throws: ClientError.self) { try await inbox.next(timeout: .milliseconds(50)) }
        inbox.push("after")
        #expect(try await inbox.next(timeout: .seconds(5)) == "after")
    }

    @Test func theEndComesAfterTheBufferedLinesWithTheConnectionsError() async throws {
        let inbox = LineInbox(eventLoop: MultiThreadedEventLoopGroup.singleton.next())
        inbox.push("last")
        inbox.close(error: Broken())
        #expect(try await inbox.next(timeout: nil) == "last")
        await #expect(throws: Broken.self) { try await inbox.next(timeout: nil) }
        // A reader already waiting is woken by the end.
        let waiting = LineInbox(eventLoop: MultiThreadedEventLoopGroup.singleton.next())
        let reader = Task { try await waiting.next(timeout: nil) }
        try await Task.sleep(for: .milliseconds(100))
        waiting.close()
        #expect(try await reader.value == nil)
    }
}
