import NIOCore

extension ByteBuffer {
    /// Writes one protocol line and its terminating LF: the outbound side of ``LineFrameDecoder``'s framing.
    @discardableResult
    public mutating func writeLine(_ line: String) -> Int {
        writeString(line) + writeInteger(UInt8(ascii: "\n"))
    }

    /// A buffer holding one protocol line and its LF, sized for it.
    public init(line: String) {
        self.init()
        reserveCapacity(line.utf8.count + 1)
        writeLine(line)
    }
}
