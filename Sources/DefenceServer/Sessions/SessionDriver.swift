import DefenceChannel
import Logging
import NIOCore
import Synchronization

/// What a ``SessionDriver`` drives: a ``Session``, or a stand-in in tests.
protocol DrivenSession: Sendable {
    /// The connection is open: register, greet, start the deadlines.
    func open() async
    /// One frame read from the peer.
    func receive(_ frame: InboundFrame) async
    /// The input ended: the connection closed or failed.
    func connectionEnded() async
}

/// Drives a connection's ``Session`` from the connection's pipeline: starts it when the channel is active, hands it
/// the frames read, in order and one step at a time, and ends it when the input ends.
///
/// A connection has no task of its own. Each step (the start, the frames read since the last step, the end) runs in
/// a short task on the connection's event loop, whose memory is freed when it ends: a task that lived as long as the
/// connection, and the inbound stream it read from, held about 8 KB per connection (heaptrack; docs/performance.md).
/// While a step runs, frames read meanwhile wait here for the next one; once ``highWater`` of them wait, the driver
/// stops asking the socket for more until the session has taken them (the backpressure the inbound stream gave).
final class SessionDriver: ChannelDuplexHandler {
    typealias InboundIn = InboundFrame
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    /// One step of the session.
    fileprivate enum Step: Sendable {
        case start
        case frames([InboundFrame])
        case end
    }

    /// How many frames wait before the driver stops reading.
    static let highWater = 16

    private let session: any DrivenSession
    private let tracker: ConnectionTracker
    private let executor: EventLoopTaskExecutor
    private let logger: Logger
    /// Set while the handler is in the pipeline: for the reads it held back.
    private var context: ChannelHandlerContext?
    /// Frames read and not yet handed to the session.
    private var pending: [InboundFrame] = []
    /// A step is running.
    private var running = false
    private var started = false
    /// Nothing more is read: the channel closed, or failed.
    private var inputEnded = false
    /// The end step was taken.
    private var ended = false
    /// The channel went inactive.
    private var closed = false
    /// The tracker was told the connection ended.
    private var reported = false
    /// A read asked by the pipeline, held back while ``highWater`` frames wait.
    private var readHeld = false

    /// - Parameters:
    ///   - session: the connection's session.
    ///   - tracker: told when the connection is active and when it has ended (channel closed, session ended).
    ///   - executor: the connection's event loop as a task executor, where each step runs.
    init(session: any DrivenSession, tracker: ConnectionTracker, executor: EventLoopTaskExecutor, logger: Logger) {
        self.session = session
        self.tracker = tracker
        self.executor = executor
        self.logger = logger
    }

    /// How many frames wait for the next step.
    var waitingCount: Int { pending.count }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        if context.channel.isActive { pump() }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
        // Removed from a channel that was active but never reported inactive: it ends all the same.
        if started, !closed { channelClosed() }
    }

    func channelActive(context: ChannelHandlerContext) {
        pump()
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        // After a failure nothing more is handed on (as the inbound stream ended with the error).
        guard !inputEnded else { return }
        pending.append(unwrapInboundIn(data))
        pump()
    }

    func channelInactive(context: ChannelHandlerContext) {
        channelClosed()
        context.fireChannelInactive()
    }

    /// The channel is closed: the input has ended, and the connection ends once its session has.
    private func channelClosed() {
        inputEnded = true
        closed = true
        pump()
        reportIfEnded()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        logger.debug("connection error", metadata: ["error": "\(error)"])
        guard !inputEnded else { return }
        inputEnded = true
        // The session ends now; its outbox may still write its last lines, then the connection is cut off.
        let channel = context.channel
        context.eventLoop.scheduleTask(in: Session.closeGrace) { channel.close(promise: nil) }
        pump()
    }

    func read(context: ChannelHandlerContext) {
        if pending.count >= Self.highWater {
            readHeld = true
        } else {
            context.read()
        }
    }

    /// Starts the next step, unless one is running.
    private func pump() {
        guard !running else { return }
        let step: Step
        if !started {
            started = true
            // Counted once active, not when the pipeline is built: a connection accepted as the server closes may
            // never be registered, never become active nor inactive, and must not hold the shutdown.
            tracker.opened()
            step = .start
        } else if !pending.isEmpty {
            step = .frames(pending)
            pending = []
            if readHeld {
                readHeld = false
                context?.read()
            }
        } else if inputEnded, !ended {
            ended = true
            step = .end
        } else {
            return
        }
        running = true
        let loop = executor.loop
        let driver = NIOLoopBound(self, eventLoop: loop)
        let session = self.session
        Task(executorPreference: executor) {
            await step.run(on: session)
            // The task prefers the loop's executor, so it usually ends on the loop: no second hop then.
            if loop.inEventLoop {
                driver.value.stepFinished()
            } else {
                loop.execute { driver.value.stepFinished() }
            }
        }
    }

    private func stepFinished() {
        running = false
        pump()
        reportIfEnded()
    }

    /// Tells the tracker, once, when the channel is closed and the session has ended.
    private func reportIfEnded() {
        guard ended, closed, !running, !reported else { return }
        reported = true
        tracker.closed()
    }
}

extension SessionDriver.Step {
    /// Carries out the step on the session.
    func run(on session: any DrivenSession) async {
        switch self {
        case .start:
            await session.open()
        case .frames(let frames):
            // Read to the end, even once the session is closed (it ignores what comes): a socket closed with unread
            // input sends a reset, which could destroy the last lines the peer has yet to read.
            for frame in frames { await session.receive(frame) }
        case .end:
            await session.connectionEnded()
        }
    }
}

/// Counts the server's open connections, so that a shutdown can wait until the last one has ended.
final class ConnectionTracker: Sendable {
    private struct State {
        var open = 0
        var waiters: [CheckedContinuation<Void, Never>] = []
    }

    private let state = Mutex(State())

    /// A connection became active.
    func opened() {
        state.withLock { $0.open += 1 }
    }

    /// A connection has ended: its channel is closed and its session has left.
    func closed() {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.open -= 1
            guard state.open <= 0 else { return [] }
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume() }
    }

    /// The number of connections active and not yet ended.
    var openCount: Int { state.withLock { $0.open } }

    /// Returns once no connection is open.
    func waitUntilNoneOpen() async {
        await withCheckedContinuation { continuation in
            let now = state.withLock { state -> Bool in
                guard state.open > 0 else { return true }
                state.waiters.append(continuation)
                return false
            }
            if now { continuation.resume() }
        }
    }
}
