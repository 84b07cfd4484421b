import FuzzDecodeSupport
import FuzzSupport

// fuzz-litellm-spend: LiteLLM_SpendLogs rows, as JSON lines or a CSV export,
// decoded by MemberDecoding with the .litellmSpend format (see DecodeHarness).

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    DecodeHarness.run(fuzzInput(data, size), format: .litellmSpend)
    return 0
}

FuzzDriver.main("fuzz-litellm-spend", fuzzOneInput)
