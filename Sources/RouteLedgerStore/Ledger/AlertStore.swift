import Foundation
import GRDB

/// The stored state of one (rule, scope).
public struct StoredAlertState: Sendable, Equatable {
    public var rule: String
    public var scope: String
    public var severity: String
    public var value: Double?
    public var windowEnd: String
    public var sinceWindowEnd: String
    public var lastNotifiedWindowEnd: String?

    public init(rule: String, scope: String, severity: String, value: Double?, windowEnd: String, sinceWindowEnd: String,
                lastNotifiedWindowEnd: String?) {
        self.rule = rule
        self.scope = scope
        self.severity = severity
        self.value = value
        self.windowEnd = windowEnd
        self.sinceWindowEnd = sinceWindowEnd
        self.lastNotifiedWindowEnd = lastNotifiedWindowEnd
    }
}

public struct PendingNotification: Sendable, Equatable {
    public var rowID: Int64
    public var notificationID: String
    public var notifier: String
    public var payloadJSON: String
    public var attempts: Int
}

/// Alert state and the notification outbox, kept in the ledger so that a crash between deciding and
/// delivering loses nothing: a decision and its queued notifications commit together.
public struct AlertStore {
    public let ledger: Ledger

    public init(ledger: Ledger) { self.ledger = ledger }

    public func states() throws -> [String: StoredAlertState] {
        try ledger.queue.read { db in
            var states: [String: StoredAlertState] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT * FROM alert_state") {
                let state = StoredAlertState(rule: row["rule"], scope: row["scope"], severity: row["severity"], value: row["value"],
                                             windowEnd: row["window_end"], sinceWindowEnd: row["since_window_end"],
                                             lastNotifiedWindowEnd: row["last_notified_window_end"])
                states[Self.key(state.rule, state.scope)] = state
            }
            return states
        }
    }

    public static func key(_ rule: String, _ scope: String) -> String { rule + "\u{1}" + scope }

    /// Saves new states and queues their notifications (one per notifier) in one transaction.
    /// Returns how many notifications were newly queued (a repeat of a queued one is ignored).
    @discardableResult
    public func commit(states: [StoredAlertState], notifications: [(id: String, payloadJSON: String)],
                       notifiers: [String], now: String) throws -> Int {
        try ledger.queue.write { db in
            for state in states {
                try db.execute(sql: """
                    INSERT INTO alert_state(rule, scope, severity, value, window_end, since_window_end, last_notified_window_end, updated_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                    ON CONFLICT(rule, scope) DO UPDATE SET severity = excluded.severity, value = excluded.value,
                        window_end = excluded.window_end, since_window_end = excluded.since_window_end,
                        last_notified_window_end = excluded.last_notified_window_end, updated_at = excluded.updated_at
                    """, arguments: [state.rule, state.scope, state.severity, state.value, state.windowEnd,
                                     state.sinceWindowEnd, state.lastNotifiedWindowEnd, now])
            }
            var queued = 0
            for notification in notifications {
                for notifier in notifiers {
                    try db.execute(sql: """
                        INSERT OR IGNORE INTO alert_notifications(notification_id, notifier, payload_json, created_at)
                        VALUES (?, ?, ?, ?)
                        """, arguments: [notification.id, notifier, notification.payloadJSON, now])
                    queued += db.changesCount
                }
            }
            return queued
        }
    }

    /// Notifications not delivered yet, oldest first.
    public func pending() throws -> [PendingNotification] {
        try ledger.queue.read { db in
            try Row.fetchAll(db, sql: """
                SELECT id, notification_id, notifier, payload_json, attempts FROM alert_notifications
                WHERE delivered_at IS NULL ORDER BY id
                """).map {
                PendingNotification(rowID: $0["id"], notificationID: $0["notification_id"], notifier: $0["notifier"],
                                    payloadJSON: $0["payload_json"], attempts: $0["attempts"])
            }
        }
    }

    public func record(_ rowID: Int64, delivered: Bool, attempts: Int, error: String?, now: String) throws {
        try ledger.queue.write { db in
            try db.execute(sql: """
                UPDATE alert_notifications SET attempts = attempts + ?, delivered_at = ?, last_error = ? WHERE id = ?
                """, arguments: [attempts, delivered ? now : nil, error, rowID])
        }
    }
}
