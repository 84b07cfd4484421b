import Foundation
import Testing
import RouteLedgerArchive
import RouteLedgerTestSupport

@Suite struct SHA256Tests {
    @Test func fipsVectors() {
        #expect(SHA256.hexDigest(of: Array("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(SHA256.hexDigest(of: [UInt8]()) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(SHA256.hexDigest(of: Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8))
                == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        #expect(SHA256.hexDigest(of: Array("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu".utf8))
                == "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1")
    }

    @Test func stringAndSequenceUpdatesAgree() {
        var a = SHA256(); a.update(utf8: "héllo wörld")
        var b = SHA256(); b.update(bytes: "héllo wörld".utf8)          // non-contiguous path
        var c = SHA256(); c.update(bytes: Array("héllo wörld".utf8))   // contiguous path
        #expect(a.hexDigest == b.hexDigest && b.hexDigest == c.hexDigest)
        // sha256sum of the same UTF-8 bytes (printf '%s' 'héllo wörld' | sha256sum)
        #expect(a.hexDigest == "a1003f7d04a4115711d0b48a2eaf1359ce565d2d2a6fd65098dfcffadeeef59f")
    }

    @Test func millionAsInOddPieces() {
        // FIPS 180-2 appendix B.3: one million 'a'; fed in pieces that straddle block edges.
        let chunk = [UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000)
        var h = SHA256()
        var offset = 0
        var step = 1
        chunk.withUnsafeBytes { all in
            while offset < all.count {
                let n = min(step, all.count - offset)
                h.update(UnsafeRawBufferPointer(rebasing: all[offset..<(offset + n)]))
                offset += n
                step = step * 3 % 997 + 1
            }
        }
        #expect(h.count == 1_000_000)
        #expect(h.hexDigest == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
        #expect(h.finalize().count == 32)
    }

    @Test func matchesSha256sumOnFiles() throws {
        let dir = try TemporaryDirectory("sha")
        // Sizes around the 55/56/64-byte padding edges and a multi-megabyte file.
        let sizes = [0, 1, 55, 56, 63, 64, 65, 119, 120, 128, 1000, 3_000_017]
        for size in sizes {
            try sh("head -c \(size) /dev/urandom > r\(size).bin", in: dir)
            let path = dir.path("r\(size).bin")
            let bytes = fileBytes(path)
            #expect(bytes.count == size)
            let expected = try sha256sum(path)
            #expect(SHA256.hexDigest(of: bytes) == expected, "size \(size)")
            // Incremental, two uneven halves.
            var h = SHA256()
            bytes.withUnsafeBytes { all in
                let cut = size / 3
                h.update(UnsafeRawBufferPointer(rebasing: all[0..<cut]))
                h.update(UnsafeRawBufferPointer(rebasing: all[cut...]))
            }
            #expect(h.hexDigest == expected, "incremental size \(size)")
        }
    }
}
