import NIOCore

/// One frame read from a connection.
public enum InboundFrame: Sendable, Hashable {
    /// A complete line, without its LF (a trailing CR is left for the parser to remove).
    case line([UInt8])
    /// A line longer than the limit began; the rest of the input is discarded.
    case overlong(byteCount: Int)
}

/// Splits the byte stream into LF-terminated lines, refusing any line over the limit.
///
/// The limit counts the bytes before the LF, a trailing CR excepted. An overlong line is reported once
/// as ``InboundFrame/overlong(byteCount:)`` as soon as it is detected — without buffering it — and every
/// later byte is dropped, since the protocol closes the connection after an overlong line.
public struct LineFrameDecoder: ByteToMessageDecoder {
    public typealias InboundOut = InboundFrame

    private let maxLineBytes: Int
    private var discarding = false

    /// Creates a decoder for lines of at most `maxLineBytes` bytes.
    public init(maxLineBytes: Int) {
        self.maxLineBytes = maxLineBytes
    }

    public mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        if discarding {
            buffer.moveReaderIndex(forwardBy: buffer.readableBytes)
            return .needMoreData
        }
        let view = buffer.readableBytesView
        // A CR before the LF is allowed beyond the limit, so look one byte further.
        let searchLimit = min(view.count, maxLineBytes + 2)
        if let newline = view.prefix(searchLimit).firstIndex(of: UInt8(ascii: "\n")) {
            let length = newline - view.startIndex
            var line = Array(view[view.startIndex..<newline])
            buffer.moveReaderIndex(forwardBy: length + 1)
            let content = line.last == UInt8(ascii: "\r") ? length - 1 : length
            if content > maxLineBytes {
                discarding = true
                context.fireChannelRead(wrapInboundOut(.overlong(byteCount: content)))
                return .continue
            }
            if line.last == UInt8(ascii: "\r") { line.removeLast() }
            context.fireChannelRead(wrapInboundOut(.line(line)))
            return .continue
        }
        if view.count > maxLineBytes + 1 {
            discarding = true
            let count = view.count
            buffer.moveReaderIndex(forwardBy: count)
            context.fireChannelRead(wrapInboundOut(.overlong(byteCount: count)))
            return .continue
        }
        return .needMoreData
    }

    public mutating func decodeLast(
        context: ChannelHandlerContext,
        buffer: inout ByteBuffer,
        seenEOF: Bool
    ) throws -> DecodingState {
        while try decode(context: context, buffer: &buffer) == .continue {}
        // A final line without LF is dropped: a line is only complete with its terminator.
        buffer.moveReaderIndex(forwardBy: buffer.readableBytes)
        return .needMoreData
    }
}
