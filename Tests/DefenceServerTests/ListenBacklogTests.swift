import DefenceServer
import Foundation
import Testing

/// The listening socket's accept queue holds a day's clients arriving at once (a full queue drops connections,
/// which TCP retries only a second or more later).
@Suite struct ListenBacklogTests {
    /// The system's cap on accept queues (Linux), or nil elsewhere.
    private var systemCap: Int? {
        (try? String(contentsOfFile: "/proc/sys/net/core/somaxconn", encoding: .utf8))
            .flatMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
    }

    @Test func theSocketGetsTheBacklogAskedForUpToTheSystemsCap() async throws {
        let cap = try #require(systemCap, "Linux only: the accept queue is read back through TCP_INFO")
        // The default: 16,384, or the system's cap. (It was a fixed 1,024: a 12,000-client join storm made 11,768
        // listen-queue overflows and 11,000 TCP retransmissions.)
        try await withServer { server in
            #expect(await server.server.listenBacklog == min(16_384, cap))
        }
        try await withServer({ $0.listenBacklog = 77 }) { server in
            #expect(await server.server.listenBacklog == 77)
        }
        // More than the system allows: capped (the server warns at start, naming net.core.somaxconn).
        try await withServer({ $0.listenBacklog = cap + 1 }) { server in
            #expect(await server.server.listenBacklog == cap)
        }
    }
}
