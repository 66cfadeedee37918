@_spi(CustomByteBufferAllocator) import NIOCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A `ByteBufferAllocator` that maps large buffers straight from the kernel, so that only the pages a
/// connection writes to become resident.
///
/// swift-nio-ssl gives every connection a 32 KiB plaintext read buffer and a 16 KiB buffer for its
/// records, sized for the largest TLS record, for the connection's life. A line protocol writes the first
/// page or two of each. From the heap, those buffers are carved out of memory the join storm's handshakes
/// had already touched, so all of it stays resident (about 40 KiB per connection); glibc's own
/// `mmap_threshold` does not help, because the heap's top chunk (kept large by the `top_pad` the server runs
/// with) serves a request before `mmap` is considered. Mapped here, an untouched page costs nothing.
///
/// Buffers of at least ``mappingThreshold`` bytes are mapped; smaller ones come from `malloc`. Each block starts
/// with a 16-byte header holding the length of its mapping (0 for a `malloc` block), so that `deallocate` and
/// `reallocate` know which it is. A failed mapping falls back to `malloc`. A mapping that grows is moved without
/// writing its untouched pages; a copy on write (NIO's `copy`, into a buffer it has just allocated) copies what it
/// is given, as with any allocator.
public enum PageBackedAllocator {
    /// The smallest buffer that is mapped rather than taken from `malloc`: one TLS record's worth.
    public static let mappingThreshold = 16 * 1024

    /// The channel allocator to give the server's connections (`ChannelOptions.allocator`).
    public static let allocator = ByteBufferAllocator(
        allocate: { size in pageBackedAllocate(Int(size)) },
        reallocate: { pointer, oldSize, newSize in pageBackedReallocate(pointer, Int(oldSize), Int(newSize)) },
        deallocate: { pointer in pageBackedDeallocate(pointer) },
        copy: { destination, source, count in destination.copyMemory(from: source, byteCount: Int(count)) }
    )

    /// Whether the block starting at `pointer` is a mapping; for tests. `pointer` must be the start of a block
    /// this allocator returned (a buffer's storage, as `withVeryUnsafeBytes` shows it).
    public static func isMapped(_ pointer: UnsafeRawPointer) -> Bool {
        mappedLength(of: UnsafeMutableRawPointer(mutating: pointer)) != 0
    }
}

/// Room for the mapping's length, keeping the 16-byte alignment `malloc` gives.
private let headerBytes = 16

private let pageBytes: Int = {
    let size = sysconf(Int32(_SC_PAGESIZE))
    return size > 0 ? size : 4096
}()

private func mappedLength(of pointer: UnsafeMutableRawPointer) -> Int {
    (pointer - headerBytes).load(as: Int.self)
}

private func pageBackedAllocate(_ size: Int) -> UnsafeMutableRawPointer? {
    if size >= PageBackedAllocator.mappingThreshold {
        let length = (size + headerBytes + pageBytes - 1) / pageBytes * pageBytes
        if let base = mmap(nil, length, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0),
            base != MAP_FAILED
        {
            #if os(Linux)
            // Where transparent huge pages are always on, one fault could make 2 MiB of merged mappings resident.
            _ = madvise(base, length, MADV_NOHUGEPAGE)
            #endif
            base.storeBytes(of: length, as: Int.self)
            return base + headerBytes
        }
    }
    guard let base = malloc(size + headerBytes) else { return nil }
    base.storeBytes(of: 0, as: Int.self)
    return base + headerBytes
}

private func pageBackedDeallocate(_ pointer: UnsafeMutableRawPointer) {
    let base = pointer - headerBytes
    let length = mappedLength(of: pointer)
    if length == 0 {
        free(base)
    } else {
        // Fails only when splitting a merged mapping would pass `vm.max_map_count`; the pages then stay mapped
        // (leaked, not corrupted), and a deallocation has no way to report it.
        _ = munmap(base, length)
    }
}

private func pageBackedReallocate(_ pointer: UnsafeMutableRawPointer?, _ oldSize: Int, _ newSize: Int) -> UnsafeMutableRawPointer? {
    guard let pointer else { return pageBackedAllocate(newSize) }
    if mappedLength(of: pointer) == 0, newSize < PageBackedAllocator.mappingThreshold {
        guard let grown = realloc(pointer - headerBytes, newSize + headerBytes) else { return nil }
        return grown + headerBytes
    }
    // A mapping, or a block growing into one: move it.
    guard let moved = pageBackedAllocate(newSize) else { return nil }
    let count = min(oldSize, newSize)
    if mappedLength(of: moved) != 0 {
        copySkippingZeroPages(to: moved, from: pointer, count: count)
    } else {
        moved.copyMemory(from: pointer, byteCount: count)
    }
    pageBackedDeallocate(pointer)
    return moved
}

/// Copies into a fresh mapping (all zeros) without writing the pages whose bytes are all zero, so that a buffer
/// grown by NIO (which moves its whole capacity, written or not) keeps only its written pages resident. Reading an
/// untouched page of the old mapping maps the kernel's shared zero page, which is not resident memory of ours.
private func copySkippingZeroPages(to destination: UnsafeMutableRawPointer, from source: UnsafeMutableRawPointer, count: Int) {
    // Both blocks start `headerBytes` into a page: cut at the destination's page boundaries.
    var offset = 0
    var chunk = min(count, pageBytes - headerBytes)
    while offset < count {
        let from = UnsafeRawBufferPointer(start: source + offset, count: chunk)
        if from.contains(where: { $0 != 0 }) {
            (destination + offset).copyMemory(from: source + offset, byteCount: chunk)
        }
        offset += chunk
        chunk = min(count - offset, pageBytes)
    }
}
