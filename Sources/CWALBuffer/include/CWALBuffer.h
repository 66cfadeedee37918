#ifndef CWALBUFFER_H
#define CWALBUFFER_H

/// Registers, once per process, an SQLite VFS that wraps the default one and makes it the default: it gathers
/// the small writes SQLite makes to a write-ahead log (a 24-byte header, then a page, for every frame) into one
/// buffer per log file, and hands them to the real file in large writes.
///
/// The buffer is written out before anything else touches the file: before a sync (so every frame of a commit is
/// on disk when `synchronous = FULL` acknowledges it), a read, a truncation, a size, a lock, a file control or a
/// close; and right after the page of a commit frame (so that a commit published to other connections without a
/// sync, as under `synchronous = NORMAL`, is already in the file they read). Other files are the real VFS's own.
///
/// Returns SQLite's result code: `SQLITE_OK`, or the error of `sqlite3_vfs_register`.
int cwalbuffer_install(void);

/// For a log opened through the buffering VFS (an `sqlite3_file *`, say from `SQLITE_FCNTL_JOURNAL_POINTER`): sets the number of writes
/// SQLite made to it and of writes it made to the real file, and returns 1. Returns 0 for any other file. For tests;
/// read the counts on the thread that uses the connection.
int cwalbuffer_file_counts(const void *file, long long *writes, long long *flushes);

#endif
