import FuzzDecodeSupport
import FuzzSupport

// fuzz-litellm-payload: LiteLLM StandardLoggingPayload records (bare or wrapped in standard_logging_object),
// decoded by MemberDecoding with the .litellm format (see DecodeHarness).

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    DecodeHarness.run(fuzzInput(data, size), format: .litellm)
    return 0
}

FuzzDriver.main("fuzz-litellm-payload", fuzzOneInput)
