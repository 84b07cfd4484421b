import CCrypto
import Foundation

/// Request signing for webhook receivers.
///
/// When a notifier has a secret, each POST carries
/// `X-RouteLedger-Signature: sha256=<hex of HMAC-SHA256(secret, body bytes)>`; the receiver
/// recomputes it over the raw body it got (e.g. `openssl dgst -sha256 -hmac "$SECRET"`) and
/// compares in constant time.
public enum Signature {
    /// Lower-case hex of HMAC-SHA256 (RFC 2104) keyed with the UTF-8 bytes of `key`, via
    /// OpenSSL's one-shot `HMAC(EVP_sha256(), …)`. Returns "" only if libcrypto itself fails.
    public static func hmacSHA256Hex(key: String, message: Data) -> String {
        let keyBytes = Array(key.utf8)
        let messageBytes = [UInt8](message)
        var digest = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        // Never hand OpenSSL a nil pointer for an empty key or message: a one-byte dummy with length 0.
        let dummy: [UInt8] = [0]
        let ok: Bool = (keyBytes.isEmpty ? dummy : keyBytes).withUnsafeBytes { k in
            (messageBytes.isEmpty ? dummy : messageBytes).withUnsafeBufferPointer { m in
                digest.withUnsafeMutableBufferPointer { d in
                    HMAC(EVP_sha256(), k.baseAddress, Int32(keyBytes.count),
                         m.baseAddress, messageBytes.count, d.baseAddress, &length) != nil
                }
            }
        }
        guard ok, length > 0 else { return "" }
        return hex(digest.prefix(Int(length)))
    }

    /// The header value: `sha256=<hex>`.
    public static func headerValue(key: String, body: Data) -> String {
        "sha256=" + hmacSHA256Hex(key: key, message: body)
    }

    static func hex<C: Collection>(_ bytes: C) -> String where C.Element == UInt8 {
        let digits = Array("0123456789abcdef".utf8)
        var chars: [UInt8] = []
        chars.reserveCapacity(bytes.count * 2)
        for b in bytes { chars.append(digits[Int(b >> 4)]); chars.append(digits[Int(b & 15)]) }
        return String(decoding: chars, as: UTF8.self)
    }
}
