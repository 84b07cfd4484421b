import Testing
@Test func placeholderModelTests() { #expect(Bool(true)) }
