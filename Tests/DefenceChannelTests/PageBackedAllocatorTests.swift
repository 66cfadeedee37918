import DefenceChannel
import NIOCore
import Testing

#if canImport(Glibc)
import Glibc
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

    @Test func onlyTheWrittenPagesOfAMappedBufferAreResident() {
        // TLS's plaintext read buffer (32 KiB, nine pages with the header) with one short line in it: one page.
        var buffer = allocator.buffer(capacity: 32 * 1024)
        buffer.writeString("JOIN room-1\n")
        let start = base(&buffer)
        #expect(PageBackedAllocator.isMapped(start))
        #expect(residentPages(start, count: buffer.capacity) == 1)
        #expect(buffer.capacity / Int(sysconf(Int32(_SC_PAGESIZE))) > 1)
        // Bytes 16 to 12,316 of the mapping: its first four pages of 4 KiB.
        buffer.writeBytes([UInt8](repeating: 7, count: 3 * 4096))
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        #expect(residentPages(start, count: buffer.capacity) == (16 + buffer.readableBytes + page - 1) / page)
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
        #expect(original.readableBytes == 5)
        #expect(copy.readString(length: copy.readableBytes) == "first and more")
        #expect(original.getString(at: 0, length: 5) == "first")
    }
}
