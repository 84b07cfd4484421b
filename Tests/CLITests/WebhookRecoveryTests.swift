import Foundation
import GRDB
import RouteLedgerTestSupport
import Testing

/// The webhook endpoint down, failing, throttling and slow, run after run of the real binary, then healthy:
/// each notification stays pending (with the reason) until a run gets a 2xx for it, goes out exactly once
/// acknowledged, and is never sent again. The world is AlertCommandTests' (day 2026-11-08 fires two critical
/// rules, so two notifications), with the notifier's timeout at 1 s and 2 attempts per run.
@Suite(.serialized) struct WebhookRecoveryTests {
    struct Outbox: Equatable {
        var notificationID: String
        var attempts: Int
        var delivered: Bool
        var lastError: String?
    }

    static func outbox(_ ledger: String) throws -> [Outbox] {
        try LedgerSnapshot.open(ledger).read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM alert_notifications ORDER BY id").map {
                Outbox(notificationID: $0["notification_id"], attempts: $0["attempts"], delivered: $0["delivered_at"] != nil,
                       lastError: $0["last_error"])
            }
        }
    }

    @Test func pendingUntilAHealthyRunThenDeliveredOnceAndNeverAgain() throws {
        let world = try AlertCommandTests.world()
        world.listener.stop()
        let config = try String(contentsOfFile: world.config, encoding: .utf8)
        #expect(config.contains("attempts: 2\n    timeout: 5"))
        try config.replacingOccurrences(of: "attempts: 2\n    timeout: 5", with: "attempts: 2\n    timeout: 1")
            .write(toFile: world.config, atomically: true, encoding: .utf8)

        func run(_ command: String, endpoint: URL, sourceLocation: SourceLocation = #_sourceLocation) throws -> (ProcessResult, Double) {
            let started = Date()
            let result = try runProcess(TestPaths.builtExecutable.path, [command, "--config", world.config, "--day", "2026-11-08"],
                                        environment: ["ALERT_WEBHOOK_URL": endpoint.absoluteString, "ALERT_SECRET": "hmac-key"])
            // Both rules are critical that day: 2 whether or not the notifications went out.
            #expect(result.status == 2, "\(command): \(result.stdout)\(result.stderr)", sourceLocation: sourceLocation)
            return (result, Date().timeIntervalSince(started))
        }
        func ids(_ listener: HTTPListener) -> [String] { listener.requests.compactMap { $0.headers["x-routeledger-notification-id"] } }

        // 1. Endpoint down (connection refused): queued, both attempts fail, pending.
        let down = try HTTPListener()
        let downURL = down.url(path: "/hook")
        down.stop()
        let (first, _) = try run("alert", endpoint: downURL)
        #expect(first.stdout.contains("notifications: 2 queued, 0 delivered, 2 pending"), "\(first.stdout)")
        var outbox = try Self.outbox(world.ledger)
        #expect(outbox.count == 2 && outbox.allSatisfy { !$0.delivered && $0.attempts == 2 })
        #expect(outbox.allSatisfy { $0.lastError?.contains("connection refused") == true }, "\(outbox)")
        let notificationIDs = outbox.map(\.notificationID).sorted()

        // 2. HTTP 500 on every attempt: still pending, nothing new queued.
        let failing = try HTTPListener(responses: Array(repeating: ScriptedResponse(status: 500), count: 4))
        defer { failing.stop() }
        let (second, _) = try run("alert", endpoint: failing.url(path: "/hook"))
        #expect(second.stdout.contains("notifications: 0 queued, 0 delivered, 2 pending"), "\(second.stdout)")
        #expect(failing.requests.count == 4)
        #expect(Set(ids(failing)) == Set(notificationIDs))
        outbox = try Self.outbox(world.ledger)
        #expect(outbox.allSatisfy { !$0.delivered && $0.attempts == 4 && $0.lastError?.hasPrefix("HTTP 500") == true }, "\(outbox)")

        // 3. HTTP 429 with Retry-After: 1 — honoured between the two attempts, then still pending.
        let throttling = try HTTPListener(responses: Array(repeating: ScriptedResponse(status: 429, headers: ["Retry-After": "1"]), count: 4))
        defer { throttling.stop() }
        let (third, thirdSeconds) = try run("alert", endpoint: throttling.url(path: "/hook"))
        #expect(third.stdout.contains("0 delivered, 2 pending"), "\(third.stdout)")
        #expect(throttling.requests.count == 4)
        #expect(thirdSeconds >= 2, "two waits of the server's Retry-After (1 s each), took \(thirdSeconds) s")
        outbox = try Self.outbox(world.ledger)
        #expect(outbox.allSatisfy { !$0.delivered && $0.attempts == 6 && $0.lastError?.contains("HTTP 429") == true
                                    && $0.lastError?.contains("Retry-After 1 s") == true }, "\(outbox)")

        // 4. Slow: a 200 that comes after 3 s, beyond the 1 s timeout, is not a delivery.
        let slow = try HTTPListener(responses: Array(repeating: ScriptedResponse(status: 200, delay: 3), count: 4))
        let (fourth, _) = try run("alert", endpoint: slow.url(path: "/hook"))
        slow.stop()
        #expect(fourth.stdout.contains("0 delivered, 2 pending"), "\(fourth.stdout)")
        outbox = try Self.outbox(world.ledger)
        #expect(outbox.allSatisfy { !$0.delivered && $0.attempts == 8 && $0.lastError?.contains("timed out after 1 s") == true },
                "\(outbox)")
        // The slow receiver did read the requests: delivery is at least once, and the id header lets it dedupe.
        #expect(Set(ids(slow)) == Set(notificationIDs))

        // 5. Healthy, and this time the nightly job: each pending notification goes out once, acknowledged.
        let healthy = try HTTPListener()
        defer { healthy.stop() }
        let (fifth, _) = try run("nightly", endpoint: healthy.url(path: "/hook"))
        #expect(fifth.stdout.contains("notifications: 0 queued, 2 delivered, 0 pending"), "\(fifth.stdout)")
        #expect(healthy.requests.count == 2)
        #expect(ids(healthy).sorted() == notificationIDs)
        // The same bytes as every earlier attempt, signed.
        for request in healthy.requests {
            let id = try #require(request.headers["x-routeledger-notification-id"])
            let earlier = failing.requests.first { $0.headers["x-routeledger-notification-id"] == id }
            #expect(earlier?.body == request.body)
            #expect(request.headers["x-routeledger-signature"]?.hasPrefix("sha256=") == true)
        }
        outbox = try Self.outbox(world.ledger)
        #expect(outbox.allSatisfy { $0.delivered && $0.attempts == 9 }, "\(outbox)")

        // 6. Again, with alert and with nightly: nothing is sent.
        let after = try HTTPListener()
        defer { after.stop() }
        for command in ["alert", "nightly"] {
            let (result, _) = try run(command, endpoint: after.url(path: "/hook"))
            #expect(result.stdout.contains("notifications: 0 queued, 0 delivered, 0 pending"), "\(command): \(result.stdout)")
        }
        #expect(after.requests.isEmpty)
        #expect(try Self.outbox(world.ledger) == outbox)
    }

    /// An `alert` and a `nightly` at once, both finding the same two notifications pending, with a receiver that
    /// takes 1 s to answer: each notification is POSTed once, not once per process (before the delivery lock,
    /// both processes sent both).
    @Test func twoRunsAtOnceSendEachPendingNotificationOnce() throws {
        let world = try AlertCommandTests.world()
        world.listener.stop()
        let down = try HTTPListener()
        let downURL = down.url(path: "/hook")
        down.stop()
        let queue = try runProcess(TestPaths.builtExecutable.path, ["alert", "--config", world.config, "--day", "2026-11-08"],
                                   environment: ["ALERT_WEBHOOK_URL": downURL.absoluteString, "ALERT_SECRET": "k"])
        #expect(queue.stdout.contains("notifications: 2 queued, 0 delivered, 2 pending"), "\(queue.stdout)\(queue.stderr)")

        let slow = try HTTPListener(responses: Array(repeating: ScriptedResponse(status: 200, delay: 1), count: 8))
        defer { slow.stop() }
        let environment = ["ALERT_WEBHOOK_URL": slow.url(path: "/hook").absoluteString, "ALERT_SECRET": "k"]
        let runs = try ["alert", "nightly"].map { command in
            try BackgroundRun([command, "--config", world.config, "--day", "2026-11-08"], in: world.directory, label: command,
                              environment: environment)
        }
        let results = runs.map { $0.finish() }
        for result in results { #expect(result.status == 2, "\(result.stdout)\(result.stderr)") }
        let delivered = results.map { $0.stdout.contains("0 queued, 2 delivered, 0 pending") ? 2
                                      : $0.stdout.contains("0 queued, 0 delivered, 0 pending") ? 0 : -1 }
        #expect(delivered.sorted() == [0, 2], "one run delivers both, the other finds nothing left: \(results.map(\.stdout))")
        #expect(slow.requests.count == 2)
        #expect(Set(slow.requests.compactMap { $0.headers["x-routeledger-notification-id"] }).count == 2)
        let outbox = try Self.outbox(world.ledger)
        #expect(outbox.allSatisfy { $0.delivered && $0.attempts == 3 }, "\(outbox)")
    }
}
