import NIOCore

/// Runs Swift concurrency jobs on a NIO event loop.
///
/// A connection's tasks (the steps its ``SessionDriver`` runs, its deadline checks) prefer the executor of the
/// connection's event loop, and so does its ``Session`` actor (a default actor runs on its caller's preferred task
/// executor). Reading a line, handling it and writing the reply then stay on one thread instead of hopping to the
/// global pool and back, which under load is where commands queued (docs/performance.md).
final class EventLoopTaskExecutor: TaskExecutor, Sendable {
    /// The loop the jobs run on.
    let loop: any EventLoop

    init(_ loop: EventLoop) {
        self.loop = loop
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        loop.execute {
            job.runSynchronously(on: self.asUnownedTaskExecutor())
        }
    }
}
