import Foundation

/// Runs ledger writes on a thread of their own, in submission order.
///
/// The coordinator decides everything (ids, dedupe, counts) and submits the SQL work here, so SQLite's
/// per-row cost overlaps with preparing the next rows instead of adding to it. The first failure rolls
/// the open file back; later jobs are skipped, and the failure is reported at the next `sync` or `finish`.
final class SQLExecutor: @unchecked Sendable {
    typealias Job = (LedgerWriter) throws -> Void

    /// A job; a barrier that `sync` waits on (it runs even after a failure, which skips jobs); the end.
    private enum Item {
        case job(Job)
        case barrier(DispatchSemaphore)
        case stop
    }

    private let writer: LedgerWriter
    private let jobs = MessageQueue<Item>()
    private let slots: DispatchSemaphore
    private let finished = DispatchSemaphore(value: 0)
    private let lock = NSLock()
    private var storedFailure: Error?

    init(writer: LedgerWriter, depth: Int = 256) {
        self.writer = writer
        slots = DispatchSemaphore(value: depth)
        let thread = Thread { [self] in run() }
        thread.stackSize = 8 << 20
        thread.start()
    }

    var failure: Error? {
        lock.lock()
        defer { lock.unlock() }
        return storedFailure
    }

    func submit(_ job: @escaping Job) {
        slots.wait()
        jobs.push(.job(job))
    }

    /// Waits until every job submitted so far has run (or been skipped after a failure); returns the first
    /// failure, if any. The barrier is not a job: a job would be skipped after a failure and never signal.
    func sync() -> Error? {
        let done = DispatchSemaphore(value: 0)
        slots.wait()
        jobs.push(.barrier(done))
        done.wait()
        return failure
    }

    private var stopped = false

    /// Stops the thread after the submitted jobs; returns the first failure, if any. Safe to call again.
    func finish() -> Error? {
        if !stopped {
            stopped = true
            jobs.push(.stop)
            finished.wait()
        }
        return failure
    }

    private func run() {
        while true {
            switch jobs.pop() {
            case .stop:
                finished.signal()
                return
            case .barrier(let done):
                done.signal()
            case .job(let job):
                if failure == nil {
                    do {
                        try job(writer)
                    } catch {
                        writer.rollbackFile()
                        lock.lock()
                        storedFailure = error
                        lock.unlock()
                    }
                }
            }
            slots.signal()
        }
    }
}
