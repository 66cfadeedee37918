import DefenceChannel
import NIOCore
import NIOEmbedded
import Testing

@Suite struct LineFrameDecoderTests {
    func channel(max: Int = 8) throws -> EmbeddedChannel {
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(LineFrameDecoder(maxLineBytes: max)))
        return channel
    }

    func frames(_ channel: EmbeddedChannel) throws -> [InboundFrame] {
        var out: [InboundFrame] = []
        while let frame = try channel.readInbound(as: InboundFrame.self) { out.append(frame) }
        return out
    }

    func line(_ text: String) -> InboundFrame { .line(Array(text.utf8)) }

    @Test func splitsLinesAndStripsCR() throws {
        let channel = try channel()
        try channel.writeInbound(ByteBuffer(string: "AB\nCD\r\n\nEF"))
        #expect(try frames(channel) == [line("AB"), line("CD"), line("")])
        try channel.writeInbound(ByteBuffer(string: "G\n"))
        #expect(try frames(channel) == [line("EFG")])
    }

    @Test func lineAtTheLimitPasses() throws {
        let channel = try channel()
        try channel.writeInbound(ByteBuffer(string: "12345678\r\n12345678\n"))
        #expect(try frames(channel) == [line("12345678"), line("12345678")])
    }

    @Test func overlongLineWithTerminator() throws {
        let channel = try channel()
        try channel.writeInbound(ByteBuffer(string: "123456789\nAFTER\n"))
        #expect(try frames(channel) == [.overlong(byteCount: 9)])
    }

    @Test func overlongLineWithoutTerminatorIsReportedWithoutBuffering() throws {
        let channel = try channel()
        try channel.writeInbound(ByteBuffer(string: "1234"))
        #expect(try frames(channel).isEmpty)
        try channel.writeInbound(ByteBuffer(string: "567890"))
        #expect(try frames(channel) == [.overlong(byteCount: 10)])
        // Everything after is discarded.
        try channel.writeInbound(ByteBuffer(string: String(repeating: "x", count: 10_000) + "\nOK\n"))
        #expect(try frames(channel).isEmpty)
    }

    @Test func partialLineAtEOFIsDropped() throws {
        let channel = try channel()
        try channel.writeInbound(ByteBuffer(string: "A\nPARTIAL"))
        #expect(try frames(channel) == [line("A")])
        _ = try channel.finish()
    }

    /// What the server and the client write is what the decoder reads back, one frame per line.
    @Test func writtenLinesAreReadBackAsFrames() throws {
        let channel = try channel(max: 64)
        var bytes = ByteBuffer(line: "OK 1")
        #expect(bytes.writeLine("EVENT r1 2 joined") == 18)
        #expect(String(buffer: bytes) == "OK 1\nEVENT r1 2 joined\n")
        try channel.writeInbound(bytes)
        #expect(try frames(channel) == [.line(Array("OK 1".utf8)), .line(Array("EVENT r1 2 joined".utf8))])
    }
}
