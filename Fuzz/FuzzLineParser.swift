// libFuzzer entry point: every input is one protocol line; the parser and the command decoder must never crash,
// and whatever parses must survive a serialize → parse round trip unchanged.
// Built and run by Fuzz/run.sh, compiled together with Sources/DefenceProtocol.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzLineParser(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let bytes = Array(UnsafeRawBufferPointer(start: start, count: count))
    let parser = LineParser()
    guard let message = try? parser.parse(bytes) else { return 0 }
    _ = try? Command(message)
    // A message that parsed comes back identical from its own serialization.
    let again = try? parser.parse(message.serialized)
    if let again, again != message {
        fatalError("round trip changed \(message.serialized.debugDescription) into \(again.serialized.debugDescription)")
    }
    return 0
}
