import Testing
@Test func placeholderArchiveTests() { #expect(Bool(true)) }
