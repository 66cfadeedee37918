#ifndef CMALLOCTUNING_H
#define CMALLOCTUNING_H

/// The step, in bytes, by which glibc's allocator grows its heaps in an executable that links this module: set to
/// 64 MiB when the executable is loaded (glibc's `M_TOP_PAD`), before `main` and before any thread has an arena.
///
/// By default an arena grows its heap by the pages an allocation lacks, with one `mprotect` each time. A server
/// taking on 12,000 connections at once grows by about 650 MiB in ten seconds: about 140,000 calls, most of them
/// one page (measured: README "Performance"). With the step, a thread's arena makes its whole heap (64 MiB of
/// address space) usable at once. Pages are still committed only when first touched, so the resident size does
/// not grow; an arena keeps up to the step of free memory at its top instead of trimming it, and glibc's mmap
/// threshold stays at 128 KiB instead of rising as large blocks are freed.
///
/// It is made at load because an arena takes the setting when it is created, and each thread gets its arena at its
/// first allocation: set then, before any thread exists, it holds for every arena of the process.
///
/// Returns the step, or 0 when the allocator refused it or is not glibc's.
int malloctuning_heap_step(void);

#endif
