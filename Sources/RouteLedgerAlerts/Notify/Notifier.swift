import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Where a notification goes: a generic JSON webhook or a Slack incoming webhook.
public enum NotifierKind: String, Sendable {
    case webhook, slack
}

/// One configured notifier.
///
/// `url` is treated as a secret (a Slack incoming-webhook URL is a bearer credential): outcomes,
/// `description` and errors show only ``displayURL`` (`scheme://host[:port]/…`).
public struct NotifierSettings: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible {
    public var kind: NotifierKind
    public var url: String
    /// HMAC key; when set every POST carries `X-RouteLedger-Signature: sha256=<hex>` over the body.
    public var secret: String?
    /// Per attempt: connect + send + response.
    public var timeoutSeconds: Double
    /// Total tries, at least 1.
    public var attempts: Int
    /// Wait before the 2nd try; doubled before each later one (b, 2b, 4b, …).
    public var backoffSeconds: Double
    /// Upper bound for a server's `Retry-After` (429 / 503).
    public var maxRetryAfterSeconds: Double

    public init(kind: NotifierKind, url: String, secret: String? = nil, timeoutSeconds: Double = 5,
                attempts: Int = 3, backoffSeconds: Double = 0.5, maxRetryAfterSeconds: Double = 30) {
        self.kind = kind
        self.url = url
        self.secret = secret
        self.timeoutSeconds = timeoutSeconds
        self.attempts = attempts
        self.backoffSeconds = backoffSeconds
        self.maxRetryAfterSeconds = maxRetryAfterSeconds
    }

    /// `scheme://host[:port]` plus `/…` when the URL has a path or query; never the path, query or user info.
    public var displayURL: String { Self.displayURL(url) }

    public var description: String {
        "\(kind.rawValue) \(displayURL)\(secret == nil ? "" : " (signed)")"
    }
    public var debugDescription: String { "NotifierSettings(\(description))" }

    public static func displayURL(_ string: String) -> String {
        guard let components = URLComponents(string: string), let scheme = components.scheme,
              let host = components.host, !host.isEmpty else { return "<invalid URL>" }
        var out = "\(scheme.lowercased())://\(host)"
        if let port = components.port { out += ":\(port)" }
        let path = components.percentEncodedPath
        if (!path.isEmpty && path != "/") || components.percentEncodedQuery != nil || components.fragment != nil {
            out += "/…"
        }
        return out
    }
}

/// Result of ``Notifier/deliver(_:)``.
public enum DeliveryOutcome: Sendable, Equatable {
    /// A 2xx answer; `attempts` counts every try including the successful one.
    case delivered(status: Int, attempts: Int)
    /// Gave up. `retryable` is true when a later run may succeed (timeouts, connection errors,
    /// 5xx, 429) and false for a refusal that will not change by itself (other 4xx, 3xx, a bad URL).
    /// `reason` never contains the secret or the URL's path or query.
    case failed(reason: String, attempts: Int, retryable: Bool)
}

/// Answer of one HTTP exchange, as seen by ``Notifier``.
public enum HTTPResult: Sendable, Equatable {
    /// Any HTTP status, with the response headers (names as received; ``Notifier`` matches them case-insensitively).
    case response(status: Int, headers: [String: String])
    /// No HTTP answer: refused, unreachable, TLS failure, timeout… A short text without the URL.
    case error(String)
}

/// One POST. Implementations must be safe to call from any thread and must return within about `timeout` seconds.
public protocol HTTPTransport: Sendable {
    func post(url: URL, body: Data, headers: [String: String], timeout: Double) -> HTTPResult
}

/// ``HTTPTransport`` over Foundation's URLSession (libcurl on Linux).
///
/// Each call uses its own ephemeral session (no cookies, no cache, nothing shared between calls
/// or with `URLSession.shared`) and blocks the caller until the answer or `timeout` seconds
/// (for the whole exchange, sub-second values honoured).
/// Proxies come from the usual environment variables (`https_proxy`, `no_proxy`, …).
public struct URLSessionTransport: HTTPTransport {
    public init() {}

    public func post(url: URL, body: Data, headers: [String: String], timeout: Double) -> HTTPResult {
        let timeout = timeout > 0 && timeout.isFinite ? timeout : 5
        // swift-corelibs-foundation truncates these intervals to whole seconds (0.5 s times out
        // at once, 1.5 s after 1 s), so URLSession gets a rounded-up bound and the exact
        // per-attempt timeout is enforced below by waiting on the completion and cancelling.
        let sessionTimeout = timeout.rounded(.up) + 1
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = sessionTimeout
        configuration.timeoutIntervalForResource = sessionTimeout
        configuration.requestCachePolicy = .reloadIgnoringLocalCacheData
        configuration.urlCache = nil
        configuration.httpCookieStorage = nil
        configuration.httpShouldSetCookies = false
        let session = URLSession(configuration: configuration)
        defer { session.invalidateAndCancel() }

        var request = URLRequest(url: url, cachePolicy: .reloadIgnoringLocalCacheData, timeoutInterval: sessionTimeout)
        request.httpMethod = "POST"
        request.httpBody = body
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }

        let box = ResultBox()
        let task = session.dataTask(with: request) { _, response, error in
            if let error {
                box.finish(.error(Self.describe(error, timeout: timeout)))
            } else if let http = response as? HTTPURLResponse {
                var fields: [String: String] = [:]
                for (key, value) in http.allHeaderFields {
                    if let key = key as? String { fields[key] = value as? String ?? "\(value)" }
                }
                box.finish(.response(status: http.statusCode, headers: fields))
            } else {
                box.finish(.error("no HTTP response"))
            }
        }
        task.resume()
        // `timeout` bounds the whole exchange: connect, send, response head.
        guard let result = box.wait(seconds: timeout) else {
            task.cancel()
            return .error("timed out after \(NotificationBody.formatNumber(timeout)) s")
        }
        return result
    }

    /// A short description without the URL (Foundation's messages sometimes embed it).
    static func describe(_ error: any Error, timeout: Double) -> String {
        let ns = error as NSError
        guard ns.domain == NSURLErrorDomain else { return "transport error (\(ns.domain) \(ns.code))" }
        switch ns.code {
        case NSURLErrorTimedOut: return "timed out after \(NotificationBody.formatNumber(timeout)) s"
        case NSURLErrorCannotConnectToHost: return "connection refused"
        case NSURLErrorCannotFindHost, NSURLErrorDNSLookupFailed: return "host not found"
        case NSURLErrorNetworkConnectionLost: return "connection lost"
        case NSURLErrorNotConnectedToInternet: return "network unreachable"
        case NSURLErrorBadServerResponse: return "bad server response"
        case NSURLErrorCancelled: return "cancelled"
        case NSURLErrorUnsupportedURL, NSURLErrorBadURL: return "unsupported URL"
        case NSURLErrorSecureConnectionFailed, NSURLErrorServerCertificateUntrusted,
             NSURLErrorServerCertificateHasBadDate, NSURLErrorServerCertificateNotYetValid,
             NSURLErrorServerCertificateHasUnknownRoot, NSURLErrorClientCertificateRejected:
            return "TLS failure (URL error \(ns.code))"
        default: return "URL error \(ns.code)"
        }
    }

    /// Hands the completion handler's result to the waiting caller.
    private final class ResultBox: @unchecked Sendable {
        private let lock = NSLock()
        private let done = DispatchSemaphore(value: 0)
        private var result: HTTPResult?

        func finish(_ value: HTTPResult) {
            lock.lock()
            let first = result == nil
            if first { result = value }
            lock.unlock()
            if first { done.signal() }
        }

        func wait(seconds: Double) -> HTTPResult? {
            guard done.wait(timeout: .now() + seconds) == .success else { return nil }
            lock.lock(); defer { lock.unlock() }
            return result
        }
    }
}

/// Delivers ``AlertNotification``s to one endpoint with retries.
///
/// Each try POSTs the same bytes (``NotificationBody/webhook(_:)`` or ``NotificationBody/slack(_:)``)
/// with `Content-Type: application/json`, `User-Agent: routeledger`,
/// `X-RouteLedger-Notification-Id: <id>` (receivers dedupe on it) and, with a secret,
/// `X-RouteLedger-Signature: sha256=<hex>`.
///
/// Retried: transport errors and timeouts, HTTP 5xx and 429 — after `backoff`, `2×backoff`,
/// `4×backoff`…, or after the server's `Retry-After` (seconds or HTTP date) on 429/503, capped
/// at `maxRetryAfterSeconds`. Not retried: other 4xx, 3xx (retryable: false).
public struct Notifier: Sendable {
    public let settings: NotifierSettings
    private let transport: any HTTPTransport
    private let sleep: @Sendable (Double) -> Void

    /// The default `sleep`: blocks the calling thread.
    public static let realSleep: @Sendable (Double) -> Void = { seconds in
        if seconds > 0 { Thread.sleep(forTimeInterval: seconds) }
    }

    public init(settings: NotifierSettings, transport: any HTTPTransport = URLSessionTransport(),
                sleep: @escaping @Sendable (Double) -> Void = Notifier.realSleep) {
        self.settings = settings
        self.transport = transport
        self.sleep = sleep
    }

    /// The body and headers every try of `deliver(n)` sends (for dry runs and tests).
    public func request(for n: AlertNotification) -> (body: Data, headers: [String: String]) {
        let body: Data
        switch settings.kind {
        case .webhook: body = NotificationBody.webhook(n)
        case .slack: body = NotificationBody.slack(n)
        }
        var headers = [
            "Content-Type": "application/json",
            "User-Agent": "routeledger",
            "X-RouteLedger-Notification-Id": Self.headerSafe(n.id),
        ]
        if let secret = settings.secret {
            headers["X-RouteLedger-Signature"] = Signature.headerValue(key: secret, body: body)
        }
        return (body, headers)
    }

    /// Sends `n`, retrying as described on the type. Blocks the caller (sleeps between tries).
    public func deliver(_ n: AlertNotification) -> DeliveryOutcome {
        let display = settings.displayURL
        guard let url = URL(string: settings.url), let scheme = url.scheme?.lowercased(),
              scheme == "http" || scheme == "https", url.host != nil else {
            return .failed(reason: "invalid notifier URL \(display) (need http:// or https://)",
                           attempts: 0, retryable: false)
        }
        let (body, headers) = request(for: n)
        let maxAttempts = max(1, settings.attempts)
        var lastReason = ""
        for attempt in 1...maxAttempts {
            var wait = settings.backoffSeconds * pow(2, Double(attempt - 1))
            switch transport.post(url: url, body: body, headers: headers, timeout: settings.timeoutSeconds) {
            case .response(let status, _) where (200..<300).contains(status):
                return .delivered(status: status, attempts: attempt)
            case .response(let status, let responseHeaders):
                lastReason = "HTTP \(status) from \(display)"
                guard status == 429 || (500..<600).contains(status) else {
                    return .failed(reason: redact(lastReason), attempts: attempt, retryable: false)
                }
                if status == 429 || status == 503, let retryAfter = Self.retryAfter(responseHeaders) {
                    wait = min(retryAfter, max(0, settings.maxRetryAfterSeconds))
                    lastReason += " (Retry-After \(NotificationBody.formatNumber(retryAfter)) s)"
                }
            case .error(let message):
                lastReason = "\(message) (\(display))"
            }
            if attempt < maxAttempts { sleep(max(0, wait)) }
        }
        return .failed(reason: redact(lastReason), attempts: maxAttempts, retryable: true)
    }

    /// Removes the URL, its path and query, and the secret from text meant for logs.
    func redact(_ text: String) -> String {
        var out = text
        var needles: [String] = [settings.url]
        if let secret = settings.secret, !secret.isEmpty { needles.append(secret) }
        if let components = URLComponents(string: settings.url) {
            for part in [components.percentEncodedPath, components.path, components.percentEncodedQuery ?? "",
                         components.query ?? ""] where part.count > 1 {
                needles.append(part)
            }
        }
        for needle in needles.sorted(by: { $0.count > $1.count }) where !needle.isEmpty {
            out = out.replacingOccurrences(of: needle, with: "…")
        }
        return out
    }

    /// `Retry-After` as seconds from now: delta-seconds or an HTTP date; nil when absent or unreadable.
    static func retryAfter(_ headers: [String: String]) -> Double? {
        guard let raw = headers.first(where: { $0.key.lowercased() == "retry-after" })?.value
            .trimmingCharacters(in: .whitespaces), !raw.isEmpty else { return nil }
        if let seconds = Double(raw), seconds.isFinite { return max(0, seconds) }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        guard let date = formatter.date(from: raw) else { return nil }
        return max(0, date.timeIntervalSinceNow)
    }

    /// Header values must be visible ASCII or space: anything else (and `%`) is percent-encoded.
    static func headerSafe(_ value: String) -> String {
        var out = ""
        for byte in value.utf8 {
            if (0x20...0x7E).contains(byte) && byte != UInt8(ascii: "%") {
                out.unicodeScalars.append(Unicode.Scalar(byte))
            } else {
                out += String(format: "%%%02X", byte)
            }
        }
        return out
    }
}
