import Testing
@Test func placeholderSynthTests() { #expect(Bool(true)) }
