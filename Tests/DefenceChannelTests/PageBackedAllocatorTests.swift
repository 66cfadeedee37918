import DefenceChannel
import NIOCore
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

@Suite struct PageBackedAllocatorTests {
    let allocator = PageBackedAllocator.allocator

    /// The start of a buffer's storage, whatever its indices.
    func base(_ buffer: inout ByteBuffer) -> UnsafeRawPointer {
        buffer.withVeryUnsafeBytes { $0.baseAddress! }
    }

    /// How many of the pages spanning `count` bytes from `start` are resident.
    func residentPages(_ start: UnsafeRawPointer, count: Int) -> Int {
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let first = Int(bitPattern: start) / page * page
        let last = (Int(bitPattern: start) + count + page - 1) / page * page
        var flags = [UInt8](repeating: 0, count: (last - first) / page)
        let result = flags.withUnsafeMutableBufferPointer { flags in
            mincore(UnsafeMutableRawPointer(bitPattern: first), last - first, flags.baseAddress)
        }
        #expect(result == 0)
        return flags.filter { $0 & 1 == 1 }.count
    }

    @Test func largeBuffersAreMappedAndSmallOnesAreNot() {
        var large = allocator.buffer(capacity: 2 * 16_384)
        var record = allocator.buffer(capacity: PageBackedAllocator.mappingThreshold)
        // ByteBuffer rounds a capacity up to a power of two: 16,383 would be 16 KiB.
        var small = allocator.buffer(capacity: PageBackedAllocator.mappingThreshold / 2)
        #expect(PageBackedAllocator.isMapped(base(&large)))
        #expect(PageBackedAllocator.isMapped(base(&record)))
        #expect(!PageBackedAllocator.isMapped(base(&small)))
    }

    var page: Int { Int(sysconf(Int32(_SC_PAGESIZE))) }

    @Test func onlyTheWrittenPagesOfAMappedBufferAreResident() {
        // Like TLS's plaintext read buffer (32 KiB: nine pages of 4 KiB with the header) with one short line in it.
        var buffer = allocator.buffer(capacity: max(32 * 1024, 8 * page))
        buffer.writeString("JOIN room-1\n")
        let start = base(&buffer)
        #expect(PageBackedAllocator.isMapped(start))
        #expect(residentPages(start, count: buffer.capacity) == 1)
        // Then three pages' worth more: the pages up to the last byte written, after the 16-byte header.
        buffer.writeBytes([UInt8](repeating: 7, count: 3 * page))
        #expect(residentPages(start, count: buffer.capacity) == (16 + buffer.readableBytes + page - 1) / page)
    }

    @Test func aGrownMappingKeepsOnlyItsWrittenPagesResident() {
        // NIO moves a buffer's whole capacity when it grows: its untouched pages must not be written on the way.
        var buffer = allocator.buffer(capacity: max(32 * 1024, 8 * page))
        buffer.writeString("AUTH drt_token\n")
        let capacity = buffer.capacity
        buffer.reserveCapacity(4 * capacity)
        let start = base(&buffer)
        #expect(buffer.capacity >= 4 * capacity)
        #expect(PageBackedAllocator.isMapped(start))
        #expect(residentPages(start, count: buffer.capacity) == 1)
        #expect(buffer.readString(length: buffer.readableBytes) == "AUTH drt_token\n")
    }

    @Test func aFullyWrittenMappingKeepsEveryByteWhenItGrows() {
        var buffer = allocator.buffer(capacity: max(32 * 1024, 8 * page))
        let bytes = (0..<buffer.capacity).map { UInt8(truncatingIfNeeded: $0 % 251 + 1) }
        buffer.writeBytes(bytes)
        let before = base(&buffer)
        buffer.reserveCapacity(2 * bytes.count)
        #expect(base(&buffer) != before)
        #expect(buffer.readBytes(length: buffer.readableBytes) == bytes)
    }

    @Test func bytesSurviveGrowingAcrossTheThresholdAndBeyond() {
        var buffer = allocator.buffer(capacity: 64)
        var expected: [UInt8] = []
        for round in 0..<16 {
            let chunk = [UInt8](repeating: UInt8(round), count: 1 << round + 500)
            buffer.writeBytes(chunk)
            expected += chunk
        }
        // Grown in the heap (realloc), then moved into a mapping, then from mapping to mapping.
        #expect(buffer.capacity >= 4 * PageBackedAllocator.mappingThreshold)
        #expect(PageBackedAllocator.isMapped(base(&buffer)))
        #expect(buffer.readBytes(length: buffer.readableBytes) == expected)
    }

    @Test func copiesOfAMappedBufferAreIndependent() {
        var original = allocator.buffer(capacity: 40_000)
        original.writeString("first")
        var copy = original
        copy.writeString(" and more")  // copy on write: a second mapping
        #expect(PageBackedAllocator.isMapped(base(&copy)))
        #expect(base(&copy) != base(&original))
        #expect(original.readableBytes == 5)
        #expect(copy.readString(length: copy.readableBytes) == "first and more")
        #expect(original.getString(at: 0, length: 5) == "first")
    }
}
