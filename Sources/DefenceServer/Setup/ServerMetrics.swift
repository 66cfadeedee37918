import Foundation
import NIOCore
import NIOPosix
import Synchronization

/// Counters the server keeps for monitoring, exposed in Prometheus' text format.
public final class ServerMetrics: Sendable {
    /// Upper bounds (seconds) of the command latency histogram's buckets.
    static let bounds: [Double] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5]

    private struct State {
        var events = 0
        var commands = 0
        var buckets = [Int](repeating: 0, count: ServerMetrics.bounds.count)
        var sum = 0.0
    }

    private let state = Mutex(State())

    /// Creates empty counters.
    public init() {}

    /// Counts stored room events (commands, joins, timers, restarts).
    public func recordEvents(_ count: Int) {
        state.withLock { $0.events += count }
    }

    /// Records a room command: how long from its arrival to its acknowledgement (after the durable commit and
    /// the fan-out).
    public func recordCommand(seconds: Double) {
        state.withLock { state in
            state.commands += 1
            state.sum += seconds
            for (index, bound) in Self.bounds.enumerated() where seconds <= bound { state.buckets[index] += 1 }
        }
    }

    /// The exposition text, with the gauges given.
    func render(connections: Int, rooms: [String: Int]) -> String {
        let snapshot = state.withLock { $0 }
        var lines = [
            "# HELP defence_connections Open client connections.",
            "# TYPE defence_connections gauge",
            "defence_connections \(connections)",
            "# HELP defence_rooms Rooms by state.",
            "# TYPE defence_rooms gauge",
        ]
        for (name, count) in rooms.sorted(by: { $0.key < $1.key }) { lines.append("defence_rooms{state=\"\(name)\"} \(count)") }
        lines += [
            "# HELP defence_room_events_total Room events stored since the server started.",
            "# TYPE defence_room_events_total counter",
            "defence_room_events_total \(snapshot.events)",
            "# HELP defence_command_seconds Room command latency, from arrival to acknowledgement (durable).",
            "# TYPE defence_command_seconds histogram",
        ]
        for (index, bound) in Self.bounds.enumerated() {
            lines.append("defence_command_seconds_bucket{le=\"\(bound)\"} \(snapshot.buckets[index])")
        }
        lines += [
            "defence_command_seconds_bucket{le=\"+Inf\"} \(snapshot.commands)",
            "defence_command_seconds_sum \(snapshot.sum)",
            "defence_command_seconds_count \(snapshot.commands)",
        ]
        return lines.joined(separator: "\n") + "\n"
    }
}

/// A minimal HTTP endpoint that answers every request with the metrics, for Prometheus to scrape.
final class MetricsEndpoint: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer

    let render: @Sendable () async -> String

    init(render: @escaping @Sendable () async -> String) {
        self.render = render
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        // One request per connection: answer the first bytes, then close.
        let channel = context.channel
        let render = self.render
        context.eventLoop.makeFutureWithTask { await render() }.whenSuccess { body in
            let head = "HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4\r\nContent-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n"
            channel.writeAndFlush(ByteBuffer(string: head + body)).whenComplete { _ in channel.close(promise: nil) }
        }
    }

    /// Binds the endpoint on `host:port` (0 picks a port).
    static func bind(host: String, port: Int, render: @escaping @Sendable () async -> String) async throws -> Channel {
        try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(MetricsEndpoint(render: render))
                }
            }
            .bind(host: host, port: port)
            .get()
    }
}
