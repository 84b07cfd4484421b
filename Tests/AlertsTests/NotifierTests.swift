import Foundation
import Testing
import RouteLedgerAlerts
import RouteLedgerTestSupport

/// Notifiers over real HTTP: URLSessionTransport (libcurl on Linux) against HTTPListener on 127.0.0.1.
@Suite struct NotifierTests {
    static let routerARN = "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/abc"

    static func sample(value: Double? = 0.123456789, reportLink: String? = nil,
                       rule: String = "fallback-rate", message: String? = nil) -> AlertNotification {
        AlertNotification(
            id: "\(rule)|router=\(routerARN)|day 2026-11-03|firing",
            rule: rule, metric: "fallback_rate", scope: "router=\(routerARN)",
            window: "day 2026-11-03", windowStart: "2026-11-03T00:00:00Z", windowEnd: "2026-11-04T00:00:00Z",
            value: value, threshold: 0.1, comparison: ">", severity: "critical", state: "firing",
            previousSeverity: "warning", reportLink: reportLink,
            message: message ?? "fallback rate 12.3% > 10% for router abc on 2026-11-03")
    }

    /// Records the waits the notifier asks for instead of sleeping.
    final class RecordingSleep: @unchecked Sendable {
        private let lock = NSLock()
        private var waits: [Double] = []
        var recorded: [Double] { lock.lock(); defer { lock.unlock() }; return waits }
        var function: @Sendable (Double) -> Void {
            { [self] seconds in lock.lock(); waits.append(seconds); lock.unlock() }
        }
    }

    static func notifier(_ listener: HTTPListener, kind: NotifierKind = .webhook, path: String = "/hooks/routeledger",
                         secret: String? = nil, timeout: Double = 5, attempts: Int = 3,
                         sleep: RecordingSleep) -> Notifier {
        Notifier(settings: NotifierSettings(kind: kind, url: listener.url(path: path).absoluteString, secret: secret,
                                            timeoutSeconds: timeout, attempts: attempts, backoffSeconds: 0.5,
                                            maxRetryAfterSeconds: 30),
                 transport: URLSessionTransport(), sleep: sleep.function)
    }

    static func json(_ data: Data) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    // MARK: - Delivery and retries

    @Test func webhookDeliveredOn200WithExactBodyAndHeaders() throws {
        let listener = try HTTPListener()
        defer { listener.stop() }
        let sleep = RecordingSleep()
        let n = Self.sample()
        let outcome = Self.notifier(listener, sleep: sleep).deliver(n)
        #expect(outcome == .delivered(status: 200, attempts: 1))
        #expect(sleep.recorded.isEmpty)

        let requests = listener.requests
        try #require(requests.count == 1)
        let request = requests[0]
        #expect(request.method == "POST")
        #expect(request.path == "/hooks/routeledger")
        #expect(request.headers["content-type"] == "application/json")
        #expect(request.headers["user-agent"] == "routeledger")
        #expect(request.headers["x-routeledger-notification-id"] == n.id)
        #expect(request.headers["x-routeledger-signature"] == nil)
        #expect(request.headers["content-length"] == String(request.body.count))

        // Deterministic bytes: sorted keys, no whitespace, ≤ 6 decimals, null for nil.
        let expected = #"{"comparison":">","id":"fallback-rate|router=\#(Self.routerARN)|day 2026-11-03|firing","#
            + #""message":"fallback rate 12.3% > 10% for router abc on 2026-11-03","metric":"fallback_rate","#
            + #""previous_severity":"warning","report_link":null,"rule":"fallback-rate","schema":"routeledger.alert/1","#
            + #""scope":"router=\#(Self.routerARN)","severity":"critical","state":"firing","threshold":0.1,"#
            + #""value":0.123457,"window":{"end":"2026-11-04T00:00:00Z","label":"day 2026-11-03","start":"2026-11-03T00:00:00Z"}}"#
        #expect(String(decoding: request.body, as: UTF8.self) == expected)
        #expect(request.body == NotificationBody.webhook(n))

        let object = try Self.json(request.body)
        #expect(Set(object.keys) == ["rule", "metric", "scope", "window", "value", "threshold", "comparison", "severity",
                                     "previous_severity", "state", "report_link", "id", "message", "schema"])
        #expect(object["rule"] as? String == "fallback-rate")
        #expect(object["metric"] as? String == "fallback_rate")
        #expect(object["scope"] as? String == "router=\(Self.routerARN)")
        let window = try #require(object["window"] as? [String: Any])
        #expect(window.count == 3)
        #expect(window["label"] as? String == "day 2026-11-03")
        #expect(window["start"] as? String == "2026-11-03T00:00:00Z")
        #expect(window["end"] as? String == "2026-11-04T00:00:00Z")
        #expect((object["value"] as? NSNumber)?.doubleValue == 0.123457)
        #expect((object["threshold"] as? NSNumber)?.doubleValue == 0.1)
        #expect(object["comparison"] as? String == ">")
        #expect(object["severity"] as? String == "critical")
        #expect(object["previous_severity"] as? String == "warning")
        #expect(object["state"] as? String == "firing")
        #expect(object["report_link"] is NSNull)
        #expect(object["id"] as? String == n.id)
        #expect(object["message"] as? String == n.message)
        #expect(object["schema"] as? String == "routeledger.alert/1")
    }

    @Test func webhookBodyNullsEscapesAndRoundTrips() throws {
        let message = "quote \" backslash \\ newline \n tab \t ünïcode → ok"
        let n = Self.sample(value: nil, reportLink: "https://reports.example.com/2026-11-03/index.html?x=1&y=2",
                            message: message)
        let body = NotificationBody.webhook(n)
        #expect(body == NotificationBody.webhook(n))
        let text = String(decoding: body, as: UTF8.self)
        #expect(text.contains(#""value":null"#))
        #expect(!text.contains("\n"))
        let object = try Self.json(body)
        #expect(object["value"] is NSNull)
        #expect(object["message"] as? String == message)
        #expect(object["report_link"] as? String == "https://reports.example.com/2026-11-03/index.html?x=1&y=2")

        var whole = Self.sample(value: 3)
        whole.threshold = -0.0000001
        let wholeText = String(decoding: NotificationBody.webhook(whole), as: UTF8.self)
        #expect(wholeText.contains(#""value":3,"#))
        #expect(wholeText.contains(#""threshold":0,"#))
        whole.value = .nan
        #expect(String(decoding: NotificationBody.webhook(whole), as: UTF8.self).contains(#""value":null"#))
    }

    @Test func retriesAfter500ThenDelivers() throws {
        let listener = try HTTPListener(responses: [ScriptedResponse(status: 500), ScriptedResponse(status: 200)])
        defer { listener.stop() }
        let sleep = RecordingSleep()
        let n = Self.sample()
        let outcome = Self.notifier(listener, sleep: sleep).deliver(n)
        #expect(outcome == .delivered(status: 200, attempts: 2))
        #expect(sleep.recorded == [0.5])
        let requests = listener.requests
        try #require(requests.count == 2)
        #expect(requests[0].body == requests[1].body)
        #expect(requests[0].body == NotificationBody.webhook(n))
        #expect(requests[0].headers["x-routeledger-notification-id"] == n.id)
        #expect(requests[1].headers["x-routeledger-notification-id"] == n.id)
    }

    @Test func honoursRetryAfterOn429() throws {
        let listener = try HTTPListener(responses: [
            ScriptedResponse(status: 429, headers: ["Retry-After": "1"], body: "rate_limited"),
            ScriptedResponse(status: 200, body: "ok"),
        ])
        defer { listener.stop() }
        let sleep = RecordingSleep()
        let outcome = Self.notifier(listener, sleep: sleep).deliver(Self.sample())
        #expect(outcome == .delivered(status: 200, attempts: 2))
        #expect(sleep.recorded == [1.0])
        #expect(listener.requests.count == 2)
    }

    @Test func retryAfterRealSleepTakesAboutOneSecond() throws {
        let listener = try HTTPListener(responses: [
            ScriptedResponse(status: 429, headers: ["Retry-After": "1"]), ScriptedResponse(status: 204),
        ])
        defer { listener.stop() }
        let notifier = Notifier(settings: NotifierSettings(kind: .webhook, url: listener.url(path: "/h").absoluteString))
        let start = Date()
        let outcome = notifier.deliver(Self.sample())
        let elapsed = Date().timeIntervalSince(start)
        #expect(outcome == .delivered(status: 204, attempts: 2))
        #expect(elapsed >= 0.95 && elapsed < 4, "elapsed \(elapsed)")
    }

    @Test func retryAfterOn503IsCappedAndOtherwiseBackoffDoubles() throws {
        let listener = try HTTPListener(responses: [
            ScriptedResponse(status: 503, headers: ["Retry-After": "120"]),
            ScriptedResponse(status: 502),
            ScriptedResponse(status: 429),
            ScriptedResponse(status: 201),
        ])
        defer { listener.stop() }
        let sleep = RecordingSleep()
        let notifier = Notifier(
            settings: NotifierSettings(kind: .webhook, url: listener.url(path: "/h").absoluteString, attempts: 4,
                                       backoffSeconds: 0.25, maxRetryAfterSeconds: 2),
            sleep: sleep.function)
        #expect(notifier.deliver(Self.sample()) == .delivered(status: 201, attempts: 4))
        // 503 Retry-After 120 → capped at 2; 502 → 2×0.25; 429 without Retry-After → 4×0.25.
        #expect(sleep.recorded == [2, 0.5, 1.0])
    }

    @Test func persistent500FailsRetryableAfterAllAttempts() throws {
        let listener = try HTTPListener(responses: Array(repeating: ScriptedResponse(status: 500), count: 5))
        defer { listener.stop() }
        let sleep = RecordingSleep()
        let notifier = Self.notifier(listener, attempts: 3, sleep: sleep)
        let outcome = notifier.deliver(Self.sample())
        guard case .failed(let reason, let attempts, let retryable) = outcome else {
            Issue.record("expected failure, got \(outcome)"); return
        }
        #expect(attempts == notifier.settings.attempts)
        #expect(retryable)
        #expect(reason.contains("HTTP 500"))
        #expect(sleep.recorded == [0.5, 1.0])
        #expect(listener.requests.count == 3)
    }

    @Test func clientError400IsNotRetried() throws {
        let listener = try HTTPListener(responses: [ScriptedResponse(status: 400, body: "invalid_payload"),
                                                    ScriptedResponse(status: 200)])
        defer { listener.stop() }
        let sleep = RecordingSleep()
        let outcome = Self.notifier(listener, sleep: sleep).deliver(Self.sample())
        guard case .failed(let reason, let attempts, let retryable) = outcome else {
            Issue.record("expected failure, got \(outcome)"); return
        }
        #expect(attempts == 1)
        #expect(!retryable)
        #expect(reason.contains("HTTP 400"))
        #expect(sleep.recorded.isEmpty)
        #expect(listener.requests.count == 1)
    }

    @Test func slowListenerTimesOutRetryable() throws {
        let listener = try HTTPListener(responses: Array(repeating: ScriptedResponse(status: 200, delay: 3), count: 2))
        defer { listener.stop() }
        let sleep = RecordingSleep()
        let start = Date()
        let outcome = Self.notifier(listener, timeout: 0.5, attempts: 2, sleep: sleep).deliver(Self.sample())
        let elapsed = Date().timeIntervalSince(start)
        guard case .failed(let reason, let attempts, let retryable) = outcome else {
            Issue.record("expected failure, got \(outcome)"); return
        }
        #expect(attempts == 2)
        #expect(retryable)
        #expect(reason.contains("timed out"), "\(reason)")
        #expect(elapsed >= 0.9 && elapsed < 2.9, "each attempt should stop at the 0.5 s timeout, took \(elapsed)")
        #expect(listener.requests.count == 2)
    }

    @Test func subSecondTimeoutStillWaitsForASlowButTimelyAnswer() throws {
        // Foundation on Linux truncates URLSession timeouts to whole seconds (0.9 → 0 = instant);
        // the transport must still wait the full 0.9 s. The answer comes after 0.05 s: wide margin for a
        // loaded CI machine running the whole suite in parallel.
        let listener = try HTTPListener(responses: [ScriptedResponse(status: 200, delay: 0.05)])
        defer { listener.stop() }
        let sleep = RecordingSleep()
        let outcome = Self.notifier(listener, timeout: 0.9, attempts: 1, sleep: sleep).deliver(Self.sample())
        #expect(outcome == .delivered(status: 200, attempts: 1))
    }

    @Test func connectionRefusedIsRetryable() throws {
        let closed = try HTTPListener()
        let url = closed.url(path: "/hooks/routeledger").absoluteString
        closed.stop()
        let sleep = RecordingSleep()
        let notifier = Notifier(settings: NotifierSettings(kind: .webhook, url: url, timeoutSeconds: 2),
                                sleep: sleep.function)
        let outcome = notifier.deliver(Self.sample())
        guard case .failed(let reason, let attempts, let retryable) = outcome else {
            Issue.record("expected failure, got \(outcome)"); return
        }
        #expect(attempts == 3)
        #expect(retryable)
        #expect(reason.contains("refused"), "\(reason)")
        #expect(sleep.recorded == [0.5, 1.0])
    }

    @Test func invalidURLFailsWithoutAttempts() {
        let outcome = Notifier(settings: NotifierSettings(kind: .slack, url: "ftp://example.com/hook")).deliver(Self.sample())
        guard case .failed(_, let attempts, let retryable) = outcome else {
            Issue.record("expected failure, got \(outcome)"); return
        }
        #expect(attempts == 0)
        #expect(!retryable)
    }

    // MARK: - Signatures

    /// `openssl dgst -sha256 -hmac KEY` over stdin: "SHA2-256(stdin)= <hex>" (OpenSSL 3) or "(stdin)= <hex>".
    static func opensslHMAC(key: String, body: Data) throws -> String {
        let result = try runProcess("openssl", ["dgst", "-sha256", "-hmac", key], stdin: body)
        try #require(result.status == 0, "openssl: \(result.stderr)")
        let hex = result.stdout.components(separatedBy: "= ").last?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
        try #require(hex.count == 64, "unexpected openssl output: \(result.stdout)")
        return hex
    }

    @Test func signatureHeaderMatchesOpenSSLCommandLine() throws {
        let listener = try HTTPListener()
        defer { listener.stop() }
        let secret = "whsec-Ru0teLedger-τest"
        let outcome = Self.notifier(listener, secret: secret, sleep: RecordingSleep()).deliver(Self.sample())
        #expect(outcome == .delivered(status: 200, attempts: 1))
        let request = try #require(listener.requests.first)
        let header = try #require(request.headers["x-routeledger-signature"])
        #expect(header == "sha256=" + (try Self.opensslHMAC(key: secret, body: request.body)))
        #expect(header == "sha256=" + Signature.hmacSHA256Hex(key: secret, message: request.body))
        #expect(!request.headers.values.contains { $0.contains(secret) })
    }

    @Test func hmacMatchesRFC4231Vectors() throws {
        // RFC 4231 test case 1: key = 0x0b × 20, data = "Hi There".
        #expect(Signature.hmacSHA256Hex(key: String(repeating: "\u{0B}", count: 20), message: Data("Hi There".utf8))
                == "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7")
        // Test case 2: key = "Jefe", data = "what do ya want for nothing?".
        #expect(Signature.hmacSHA256Hex(key: "Jefe", message: Data("what do ya want for nothing?".utf8))
                == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
        // Empty key and message are valid inputs (cross-checked against the CLI).
        #expect(Signature.hmacSHA256Hex(key: "k", message: Data())
                == (try Self.opensslHMAC(key: "k", body: Data())))
    }

    // MARK: - Slack

    @Test func slackBodyHasTextAndBlocksAndEscapes() throws {
        let listener = try HTTPListener()
        defer { listener.stop() }
        let n = Self.sample(reportLink: "https://reports.example.com/day?d=2026-11-03&tz=UTC",
                            rule: "<script>alert(1)</script> & co",
                            message: "cost drift <script>x</script> > 20% & rising")
        let outcome = Self.notifier(listener, kind: .slack, path: "/services/T000/B000/XXXX", sleep: RecordingSleep())
            .deliver(n)
        #expect(outcome == .delivered(status: 200, attempts: 1))
        let request = try #require(listener.requests.first)
        #expect(request.headers["content-type"] == "application/json")
        #expect(request.headers["x-routeledger-notification-id"] == n.id)
        #expect(request.body == NotificationBody.slack(n))

        let raw = String(decoding: request.body, as: UTF8.self)
        #expect(!raw.contains("<script>"))
        #expect(!raw.contains("</script>"))
        #expect(raw.contains("&lt;script&gt;"))

        let object = try Self.json(request.body)
        let text = try #require(object["text"] as? String)
        #expect(!text.isEmpty)
        #expect(text.contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp; co"))
        #expect(!text.contains("<") && !text.contains(">"))

        let blocks = try #require(object["blocks"] as? [[String: Any]])
        #expect(blocks.map { $0["type"] as? String } == ["header", "section", "context"])

        let headerText = try #require(blocks[0]["text"] as? [String: Any])
        #expect(headerText["type"] as? String == "plain_text")
        let headerString = try #require(headerText["text"] as? String)
        #expect(headerString.count <= 150)
        #expect(headerString.contains("CRITICAL"))

        let sectionText = try #require(blocks[1]["text"] as? [String: Any])
        #expect(sectionText["type"] as? String == "mrkdwn")
        #expect(sectionText["text"] as? String == "cost drift &lt;script&gt;x&lt;/script&gt; &gt; 20% &amp; rising")
        let fields = try #require(blocks[1]["fields"] as? [[String: Any]])
        #expect(!fields.isEmpty && fields.count <= 10)
        for field in fields {
            #expect(field["type"] as? String == "mrkdwn")
            let fieldText = try #require(field["text"] as? String)
            #expect(fieldText.count <= 2000)
        }
        let fieldTexts = fields.compactMap { $0["text"] as? String }
        #expect(fieldTexts.contains("*Metric*\nfallback_rate"))
        #expect(fieldTexts.contains("*Threshold*\n&gt; 0.1"))
        #expect(fieldTexts.contains("*Severity*\nwarning → critical"))

        let elements = try #require(blocks[2]["elements"] as? [[String: Any]])
        let contextText = try #require(elements.first?["text"] as? String)
        #expect(contextText.contains("<https://reports.example.com/day?d=2026-11-03&amp;tz=UTC|Open report>"))
    }

    @Test func slackHeaderIsCutTo150Characters() throws {
        let n = Self.sample(rule: String(repeating: "<&>", count: 100))
        let object = try Self.json(NotificationBody.slack(n))
        let blocks = try #require(object["blocks"] as? [[String: Any]])
        let header = try #require((blocks[0]["text"] as? [String: Any])?["text"] as? String)
        #expect(header.utf16.count <= 150)
        #expect(header.hasSuffix("…"))
        // Cut between entities, never inside one.
        #expect(header.dropLast().hasSuffix("&lt;") || header.dropLast().hasSuffix("&amp;") || header.dropLast().hasSuffix("&gt;"))
    }

    // MARK: - Secrets stay out of reasons

    @Test func reasonsNeverContainSecretOrWebhookPath() throws {
        let secret = "hmac-secret-4711"
        let path = "/services/T0001/B0002/XXXXSECRETPATH?token=abc123"
        let listener = try HTTPListener(responses: [ScriptedResponse(status: 403, body: "invalid_token")]
                                        + Array(repeating: ScriptedResponse(status: 500), count: 3))
        defer { listener.stop() }
        func check(_ outcome: DeliveryOutcome) {
            guard case .failed(let reason, _, _) = outcome else {
                Issue.record("expected failure, got \(outcome)"); return
            }
            for needle in [secret, "XXXXSECRETPATH", "services", "token", "abc123", "T0001"] {
                #expect(!reason.contains(needle), "reason leaks \(needle): \(reason)")
            }
            #expect(reason.contains("http://127.0.0.1:"), "\(reason)")
        }
        let notifier = Self.notifier(listener, kind: .slack, path: path, secret: secret, sleep: RecordingSleep())
        check(notifier.deliver(Self.sample()))   // 403
        check(notifier.deliver(Self.sample()))   // 500 × 3

        let closed = try HTTPListener()
        let refusedURL = closed.url(path: path).absoluteString
        closed.stop()
        check(Notifier(settings: NotifierSettings(kind: .slack, url: refusedURL, secret: secret, attempts: 1)).deliver(Self.sample()))

        let settings = NotifierSettings(kind: .slack, url: "https://hooks.slack.com/services/T0001/B0002/XXXXSECRETPATH",
                                        secret: secret)
        #expect(settings.displayURL == "https://hooks.slack.com/…")
        #expect(!"\(settings)".contains("XXXXSECRETPATH") && !"\(settings)".contains(secret))
        #expect(!String(reflecting: settings).contains("XXXXSECRETPATH"))
    }
}
