import CoreMetrics
import Metrics
import DefenceCore
import DefenceProtocol
import NIOCore
import NIOPosix
import Prometheus

/// What the server records for monitoring, through swift-metrics: the backend is the factory it is given (the
/// Prometheus exposition of ``prometheusFactory()``, or any other, such as OpenTelemetry through swift-otel).
///
/// The names are the endpoint's: `defence_connections`, `defence_rooms{state=…}`, `defence_room_events_total`,
/// `defence_command_seconds` (histogram) and `defence_commit_batch_writes` (histogram, recorded by the store's
/// group commit). Server/README describes each.
public struct ServerMetrics: Sendable {
    /// Open client connections.
    let connections: Meter
    /// Room events stored since the server started.
    private let events: CoreMetrics.Counter
    /// Room command latency, from its arrival to its acknowledgement (after the durable commit and the fan-out).
    private let commands: CoreMetrics.Timer
    /// Rooms per lifecycle state.
    private let rooms: [RoomLifecycle: Meter]

    /// The command latency histogram's bucket bounds.
    static let commandBuckets: [Duration] = [
        .milliseconds(1), .microseconds(2500), .milliseconds(5), .milliseconds(10), .milliseconds(25),
        .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1),
        .milliseconds(2500), .seconds(5),
    ]

    /// The commit batch histogram's bucket bounds (acknowledged writes per transaction).
    static let batchBuckets: [Double] = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000]

    /// Metrics recorded through `factory`.
    public init(factory: any MetricsFactory) {
        connections = Meter(label: "defence_connections", factory: factory)
        events = CoreMetrics.Counter(label: "defence_room_events_total", factory: factory)
        commands = CoreMetrics.Timer(label: "defence_command_seconds", factory: factory)
        var rooms: [RoomLifecycle: Meter] = [:]
        for state in RoomLifecycle.allCases {
            let meter = Meter(label: "defence_rooms", dimensions: [("state", state.rawValue)], factory: factory)
            meter.set(0)
            rooms[state] = meter
        }
        self.rooms = rooms
        connections.set(0)
    }

    /// A Prometheus backend with this server's histogram buckets, exposed by the loopback endpoint
    /// (`--metrics-port`).
    public static func prometheusFactory() -> PrometheusMetricsFactory {
        var factory = PrometheusMetricsFactory(registry: PrometheusCollectorRegistry())
        factory.durationHistogramBuckets = ["defence_command_seconds": commandBuckets]
        factory.valueHistogramBuckets = ["defence_commit_batch_writes": batchBuckets]
        return factory
    }

    /// Counts stored room events (commands, joins, timers, restarts).
    func recordEvents(_ count: Int) {
        events.increment(by: Int64(count))
    }

    /// Records a room command's latency.
    func recordCommand(_ duration: Duration) {
        commands.record(duration: duration)
    }

    /// Sets the rooms per state from a whole count (at start).
    func setRooms(_ counts: [RoomLifecycle: Int]) {
        for (state, meter) in rooms { meter.set(counts[state] ?? 0) }
    }

    /// A room moved from one state to another (`nil`: it did not exist).
    func roomMoved(from old: RoomLifecycle?, to new: RoomLifecycle) {
        guard old != new else { return }
        if let old { rooms[old]?.decrement() }
        rooms[new]?.increment()
    }
}

/// A minimal HTTP endpoint that answers every request with the Prometheus exposition of `registry`.
final class MetricsEndpoint: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer

    let registry: PrometheusCollectorRegistry

    init(registry: PrometheusCollectorRegistry) {
        self.registry = registry
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        // One request per connection: answer the first bytes, then close.
        var body: [UInt8] = []
        registry.emit(into: &body)
        let head = "HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4\r\nContent-Length: \(body.count)\r\nConnection: close\r\n\r\n"
        var buffer = context.channel.allocator.buffer(capacity: head.utf8.count + body.count)
        buffer.writeString(head)
        buffer.writeBytes(body)
        let channel = context.channel
        context.writeAndFlush(NIOAny(buffer)).whenComplete { _ in channel.close(promise: nil) }
    }

    /// Binds the endpoint on `host:port` (0 picks a port).
    static func bind(host: String, port: Int, registry: PrometheusCollectorRegistry) async throws -> Channel {
        try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(MetricsEndpoint(registry: registry))
                }
            }
            .bind(host: host, port: port)
            .get()
    }
}
