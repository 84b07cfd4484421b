import Testing
@testable import RouteLedgerModel

@Suite struct ModelIdentifierTests {
    @Test(arguments: [
        ("amazon.nova-lite-v1:0", "amazon.nova-lite-v1:0", false),
        ("us.anthropic.claude-3-5-haiku-20241022-v1:0", "anthropic.claude-3-5-haiku-20241022-v1:0", true),
        ("eu.anthropic.claude-3-7-sonnet-20250219-v1:0", "anthropic.claude-3-7-sonnet-20250219-v1:0", true),
        ("apac.amazon.nova-pro-v1:0", "amazon.nova-pro-v1:0", true),
        ("global.anthropic.claude-sonnet-4-20250514-v1:0", "anthropic.claude-sonnet-4-20250514-v1:0", true),
        ("us-gov.anthropic.claude-3-haiku-20240307-v1:0", "anthropic.claude-3-haiku-20240307-v1:0", true),
        ("arn:aws:bedrock:us-east-1:663981805246:inference-profile/us.anthropic.claude-sonnet-4-20250514-v1:0",
         "anthropic.claude-sonnet-4-20250514-v1:0", true),
        ("arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-3-5-haiku-20241022-v1:0",
         "anthropic.claude-3-5-haiku-20241022-v1:0", false),
    ])
    func foundationModelsAreCanonicalized(_ raw: String, _ canonical: String, _ crossRegion: Bool) {
        #expect(ModelIdentifier.classify(raw) == .foundation(canonical: canonical, crossRegionProfile: crossRegion))
    }

    @Test func routersAndApplicationProfilesAreNotGuessed() {
        let router = "arn:aws:bedrock:us-east-1:111122223333:default-prompt-router/anthropic.claude:1"
        #expect(ModelIdentifier.classify(router) == .promptRouter(arn: router))
        let custom = "arn:aws:bedrock:us-east-1:111122223333:prompt-router/abc123"
        #expect(ModelIdentifier.classify(custom) == .promptRouter(arn: custom))
        let profile = "arn:aws:bedrock:us-east-1:111122223333:application-inference-profile/p1"
        #expect(ModelIdentifier.classify(profile) == .applicationProfile(arn: profile, resolved: nil))
        #expect(ModelIdentifier.classify(profile, applicationProfiles: ["p1": "us.amazon.nova-pro-v1:0"])
                == .applicationProfile(arn: profile, resolved: "amazon.nova-pro-v1:0"))
    }

    @Test func principalNames() {
        #expect(ModelIdentifier.principalName("arn:aws:sts::1:assumed-role/Role-A/session") == "Role-A")
        #expect(ModelIdentifier.principalName("arn:aws:iam::1:user/dheeraj") == "dheeraj")
        #expect(ModelIdentifier.principalName("not an arn") == nil)
    }
}

@Suite struct FingerprintTests {
    static func sample() -> InvocationRecord {
        var record = InvocationRecord(sourceKind: .bedrock, requestId: "r-1", timestampMicros: 1_762_000_000_000_000,
                                      rawModelId: "us.anthropic.claude-3-5-haiku-20241022-v1:0", status: .success)
        record.canonicalModel = "anthropic.claude-3-5-haiku-20241022-v1:0"
        record.inputTokens = 10
        record.outputTokens = 5
        record.tenant = "acme"
        record.loggedCostUSD = 0.25
        return record
    }

    @Test func equalRecordsShareAFingerprint() {
        #expect(Self.sample().normalizedFingerprint == Self.sample().normalizedFingerprint)
    }

    /// Every field takes part: changing any one of them changes the fingerprint.
    @Test func everyFieldChangesIt() {
        let base = Self.sample().normalizedFingerprint
        let mutations: [(String, (inout InvocationRecord) -> Void)] = [
            ("requestId", { $0.requestId = "r-2" }), ("timestamp", { $0.timestampMicros += 1 }),
            ("inputTokens", { $0.inputTokens = 11 }), ("outputTokens nil", { $0.outputTokens = nil }),
            ("cacheRead 0 vs nil", { $0.cacheReadTokens = 0 }), ("tenant", { $0.tenant = "acme2" }),
            ("cost", { $0.loggedCostUSD = 0.26 }), ("status", { $0.status = .failure }),
            ("kind", { $0.sourceKind = .litellm }), ("flags", { $0.flags.insert(.crossRegion) }),
            ("model", { $0.canonicalModel = "anthropic.claude-3-5-haiku-20241022-v1:1" }),
            ("fields shift", { $0.tenant = nil; $0.correlationId = "acme" }),
        ]
        for (name, mutate) in mutations {
            var record = Self.sample()
            mutate(&record)
            #expect(record.normalizedFingerprint != base, "\(name)")
        }
    }

    @Test func bodiesDoNotTakePart() {
        var record = Self.sample()
        record.promptBody = "kept only with --keep-bodies"
        #expect(record.normalizedFingerprint == Self.sample().normalizedFingerprint)
    }
}
