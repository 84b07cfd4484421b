import Foundation

/// A blocking multi-producer queue (workers → the single ledger writer).
final class MessageQueue<Element>: @unchecked Sendable {
    private var items: [Element] = []
    private var head = 0
    private let condition = NSCondition()

    func push(_ element: Element) {
        condition.lock()
        items.append(element)
        condition.signal()
        condition.unlock()
    }

    func pop() -> Element {
        condition.lock()
        defer { condition.unlock() }
        while head == items.count { condition.wait() }
        let element = items[head]
        head += 1
        if head > 1024, head * 2 > items.count {
            items.removeFirst(head)
            head = 0
        }
        return element
    }
}

/// Hands out work items to worker threads.
final class WorkCursor: @unchecked Sendable {
    private var next = 0
    private let count: Int
    private let lock = NSLock()
    init(count: Int) { self.count = count }
    func take() -> Int? {
        lock.lock()
        defer { lock.unlock() }
        guard next < count else { return nil }
        next += 1
        return next - 1
    }
}
