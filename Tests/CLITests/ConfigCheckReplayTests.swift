import Foundation
import RouteLedgerTestSupport
import Testing

/// `config check` opens the replay sections' files now, so a missing labels or gateway file fails the check,
/// not the night's report; `config show` prints both sections with their resolved paths.
@Suite struct ConfigCheckReplayTests {
    static func write(_ text: String, in directory: TemporaryDirectory) throws -> String {
        let path = directory.path("routeledger.yaml")
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test func validSectionsPassAndShow() throws {
        let directory = try TemporaryDirectory()
        let labels = TestPaths.fixtures.appendingPathComponent("replay/labels.csv").path
        let gateway = TestPaths.fixtures.appendingPathComponent("gateway/demo-fallback.yaml").path
        let config = try Self.write("""
            version: 1
            replay:
              labels: \(labels)
              target: pgr=0.8
            replay_limits:
              gateway: \(gateway)
              target_fallback_rate: 0.05
            """, in: directory)
        let check = try runProcess(TestPaths.builtExecutable.path, ["config", "check", "--config", config])
        #expect(check.status == 0, "\(check.stderr)")
        let show = try runProcess(TestPaths.builtExecutable.path, ["config", "show", "--config", config])
        #expect(show.status == 0)
        #expect(show.stdout.contains("replay:\n  labels: "))
        #expect(show.stdout.contains("target: \"pgr=0.8\""))
        #expect(show.stdout.contains("replay_limits:\n  gateway: "))
        #expect(show.stdout.contains("target_fallback_rate: 0.05"))
    }

    @Test func missingFilesFailWithTheConfigLocation() throws {
        let directory = try TemporaryDirectory()
        let config = try Self.write("version: 1\nreplay:\n  labels: missing.csv\n", in: directory)
        let check = try runProcess(TestPaths.builtExecutable.path, ["config", "check", "--config", config])
        #expect(check.status == 2)
        #expect(check.stderr.contains("routeledger.yaml:3:3") && check.stderr.contains("missing.csv"))

        let limits = try Self.write("version: 1\nreplay_limits:\n  gateway: nowhere.yaml\n", in: directory)
        let limitsCheck = try runProcess(TestPaths.builtExecutable.path, ["config", "check", "--config", limits])
        #expect(limitsCheck.status == 2)
        #expect(limitsCheck.stderr.contains("nowhere.yaml"))
    }
}
