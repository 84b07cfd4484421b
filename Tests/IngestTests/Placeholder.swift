import Testing
@Test func placeholderIngestTests() { #expect(Bool(true)) }
