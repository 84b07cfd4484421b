import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One request as the listener read it off the socket.
public struct ReceivedRequest: Sendable {
    public var method: String
    /// Request target as sent, query string included (`/hooks/abc?x=1`).
    public var path: String
    /// Header names lower-cased; a repeated header keeps its values joined with ", ".
    public var headers: [String: String]
    /// The body bytes (Content-Length or chunked), exactly as received.
    public var body: Data
}

/// What the listener answers to one request.
public struct ScriptedResponse: Sendable {
    public var status: Int
    /// Extra response headers (`Content-Length` and `Connection: close` are always added).
    public var headers: [String: String]
    public var body: String
    /// Seconds to wait, after reading the request, before answering (to provoke client timeouts).
    public var delay: Double

    public init(status: Int, headers: [String: String] = [:], body: String = "", delay: Double = 0) {
        self.status = status
        self.headers = headers
        self.body = body
        self.delay = delay
    }
}

/// A real HTTP/1.1 server on 127.0.0.1 for tests of code that makes HTTP requests.
///
/// Binds an ephemeral port at init and serves each connection on its own thread: reads one
/// request (answering `Expect: 100-continue`), records it in ``requests``, then answers with the
/// next ``ScriptedResponse`` from the queue (200 with an empty body once the queue is empty) and
/// closes the connection (`Connection: close`).
///
/// ```swift
/// let listener = try HTTPListener(responses: [ScriptedResponse(status: 500), ScriptedResponse(status: 200)])
/// defer { listener.stop() }
/// post(to: listener.url(path: "/hook"))
/// #expect(listener.requests.count == 2)
/// ```
public final class HTTPListener: @unchecked Sendable {
    /// The bound TCP port on 127.0.0.1.
    public let port: UInt16
    private let state: State

    /// Starts listening; `responses` are answered in order of arrival.
    public init(responses: [ScriptedResponse] = []) throws {
        let fd = socket(AF_INET, Self.streamType, 0)
        guard fd >= 0 else { throw ListenerError.system("socket", errno) }
        var yes: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))

        var address = sockaddr_in()
        #if canImport(Darwin)
        address.sin_len = UInt8(MemoryLayout<sockaddr_in>.size)
        #endif
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0 else { let e = errno; close(fd); throw ListenerError.system("bind", e) }
        guard listen(fd, 64) == 0 else { let e = errno; close(fd); throw ListenerError.system("listen", e) }

        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let named = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard named == 0 else { let e = errno; close(fd); throw ListenerError.system("getsockname", e) }
        port = UInt16(bigEndian: address.sin_port)

        state = State(fd: fd, responses: responses)
        let state = self.state
        let thread = Thread { state.acceptLoop() }
        thread.name = "HTTPListener:\(port)"
        thread.start()
    }

    deinit { stop() }

    /// `http://127.0.0.1:<port><path>`; `path` should start with "/".
    public func url(path: String = "/") -> URL {
        URL(string: "http://127.0.0.1:\(port)\(path.hasPrefix("/") ? path : "/" + path)")!
    }

    /// Every request read so far, in order of arrival.
    public var requests: [ReceivedRequest] { state.withLock { $0.requests } }

    /// Appends responses to the queue.
    public func enqueue(_ responses: ScriptedResponse...) {
        state.withLock { $0.responses.append(contentsOf: responses) }
    }

    /// Stops accepting and closes the listening socket (connections then get "refused").
    /// Requests in progress are answered unless they are still in their `delay`. Idempotent.
    public func stop() { state.stop() }

    public enum ListenerError: Error, CustomStringConvertible {
        case system(String, Int32)
        public var description: String {
            switch self { case .system(let call, let code): "\(call): \(String(cString: strerror(code)))" }
        }
    }

    #if canImport(Glibc)
    fileprivate static let streamType = Int32(SOCK_STREAM.rawValue)
    fileprivate static let noSignal = Int32(MSG_NOSIGNAL)
    #else
    fileprivate static let streamType = SOCK_STREAM
    fileprivate static let noSignal: Int32 = 0
    #endif

    /// Shared between the owner and the threads; the threads never retain the `HTTPListener`, so deinit runs.
    private final class State: @unchecked Sendable {
        struct Guarded {
            var requests: [ReceivedRequest] = []
            var responses: [ScriptedResponse]
            var stopped = false
            var listenFD: Int32
        }
        private let lock = NSLock()
        private var guarded: Guarded
        private let acceptExited = DispatchSemaphore(value: 0)

        init(fd: Int32, responses: [ScriptedResponse]) {
            guarded = Guarded(responses: responses, listenFD: fd)
        }

        func withLock<T>(_ body: (inout Guarded) -> T) -> T {
            lock.lock(); defer { lock.unlock() }
            return body(&guarded)
        }

        var isStopped: Bool { withLock { $0.stopped } }

        func stop() {
            let fd: Int32? = withLock { g in
                if g.stopped { return nil }
                g.stopped = true
                return g.listenFD
            }
            guard let fd else { return }
            // shutdown wakes the blocked accept(); close only after the loop left, so the
            // descriptor number cannot be reused under it.
            shutdown(fd, Int32(SHUT_RDWR))
            _ = acceptExited.wait(timeout: .now() + 2)
            close(fd)
        }

        func acceptLoop() {
            defer { acceptExited.signal() }
            let fd = withLock { $0.listenFD }
            while !isStopped {
                let client = accept(fd, nil, nil)
                if client < 0 {
                    if errno == EINTR || errno == ECONNABORTED { continue }
                    return
                }
                if isStopped { close(client); return }
                #if canImport(Darwin)
                var one: Int32 = 1
                setsockopt(client, SOL_SOCKET, SO_NOSIGPIPE, &one, socklen_t(MemoryLayout<Int32>.size))
                #endif
                let thread = Thread { [self] in self.serve(client) }
                thread.start()
            }
        }

        private func serve(_ fd: Int32) {
            defer { close(fd) }
            var timeout = timeval(tv_sec: 10, tv_usec: 0)
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            var reader = Reader(fd: fd)
            guard let request = reader.readRequest(sendContinue: { Self.sendAll(fd, Data("HTTP/1.1 100 Continue\r\n\r\n".utf8)) })
            else { return }
            let response: ScriptedResponse = withLock { g in
                g.requests.append(request)
                return g.responses.isEmpty ? ScriptedResponse(status: 200) : g.responses.removeFirst()
            }
            if response.delay > 0 {
                let until = Date().addingTimeInterval(response.delay)
                while Date() < until && !isStopped { usleep(10_000) }
                if isStopped { return }
            }
            let body = Data(response.body.utf8)
            var head = "HTTP/1.1 \(response.status) \(Self.reasonPhrase(response.status))\r\n"
            for (name, value) in response.headers.sorted(by: { $0.key < $1.key })
            where !["content-length", "connection"].contains(name.lowercased()) {
                head += "\(name): \(value)\r\n"
            }
            head += "Content-Length: \(body.count)\r\nConnection: close\r\n\r\n"
            Self.sendAll(fd, Data(head.utf8) + body)
            shutdown(fd, Int32(SHUT_WR))
        }

        static func sendAll(_ fd: Int32, _ data: Data) {
            data.withUnsafeBytes { raw in
                guard var p = raw.baseAddress else { return }
                var left = raw.count
                while left > 0 {
                    let n = send(fd, p, left, HTTPListener.noSignal)
                    if n < 0 && errno == EINTR { continue }
                    if n <= 0 { return }
                    p += n
                    left -= n
                }
            }
        }

        static func reasonPhrase(_ status: Int) -> String {
            switch status {
            case 200: "OK"
            case 201: "Created"
            case 202: "Accepted"
            case 204: "No Content"
            case 400: "Bad Request"
            case 401: "Unauthorized"
            case 403: "Forbidden"
            case 404: "Not Found"
            case 410: "Gone"
            case 429: "Too Many Requests"
            case 500: "Internal Server Error"
            case 502: "Bad Gateway"
            case 503: "Service Unavailable"
            case 504: "Gateway Timeout"
            default: "Status"
            }
        }
    }

    /// Buffered reads from a connected socket.
    private struct Reader {
        let fd: Int32
        var buffer: [UInt8] = []

        /// Reads more bytes; false at end of stream, error or receive timeout.
        mutating func fill() -> Bool {
            var chunk = [UInt8](repeating: 0, count: 16 * 1024)
            while true {
                let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { return false }
                buffer.append(contentsOf: chunk[0..<n])
                return true
            }
        }

        /// Bytes up to (not including) CRLF; the CRLF is consumed.
        mutating func line(limit: Int = 64 * 1024) -> String? {
            while true {
                if let i = crlf() {
                    let text = String(decoding: buffer[0..<i], as: UTF8.self)
                    buffer.removeFirst(i + 2)
                    return text
                }
                if buffer.count > limit || !fill() { return nil }
            }
        }

        mutating func bytes(_ count: Int) -> [UInt8]? {
            while buffer.count < count { if !fill() { return nil } }
            let out = Array(buffer[0..<count])
            buffer.removeFirst(count)
            return out
        }

        private func crlf() -> Int? {
            guard buffer.count >= 2 else { return nil }
            for i in 0..<(buffer.count - 1) where buffer[i] == 13 && buffer[i + 1] == 10 { return i }
            return nil
        }

        mutating func readRequest(sendContinue: () -> Void) -> ReceivedRequest? {
            guard let requestLine = line() else { return nil }
            let parts = requestLine.split(separator: " ", omittingEmptySubsequences: true)
            guard parts.count >= 2 else { return nil }
            var headers: [String: String] = [:]
            while true {
                guard let header = line() else { return nil }
                if header.isEmpty { break }
                guard let colon = header.firstIndex(of: ":") else { continue }
                let name = header[..<colon].trimmingCharacters(in: .whitespaces).lowercased()
                let value = header[header.index(after: colon)...].trimmingCharacters(in: .whitespaces)
                headers[name] = headers[name].map { "\($0), \(value)" } ?? value
            }
            if headers["expect"]?.lowercased() == "100-continue" { sendContinue() }
            var body: [UInt8] = []
            if headers["transfer-encoding"]?.lowercased().contains("chunked") == true {
                while true {
                    guard let sizeLine = line(),
                          let size = Int(sizeLine.split(separator: ";").first.map(String.init)?
                            .trimmingCharacters(in: .whitespaces) ?? "", radix: 16) else { return nil }
                    if size == 0 {
                        while let trailer = line(), !trailer.isEmpty {}
                        break
                    }
                    guard let chunk = bytes(size), line() != nil else { return nil }
                    body += chunk
                }
            } else if let length = headers["content-length"].flatMap({ Int($0) }), length > 0 {
                guard let bytes = bytes(length) else { return nil }
                body = bytes
            }
            return ReceivedRequest(method: String(parts[0]), path: String(parts[1]), headers: headers, body: Data(body))
        }
    }
}
