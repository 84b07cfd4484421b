import FuzzDecodeSupport
import FuzzSupport

// fuzz-bedrock: Amazon Bedrock ModelInvocationLog records (S3 NDJSON, arrays, CloudWatch export lines, Logs Insights rows),
// decoded by MemberDecoding with the .bedrock format (see DecodeHarness).

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    DecodeHarness.run(fuzzInput(data, size), format: .bedrock)
    return 0
}

FuzzDriver.main("fuzz-bedrock", fuzzOneInput)
