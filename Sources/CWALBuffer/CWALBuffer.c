// A VFS shim that buffers the writes SQLite makes to write-ahead logs. See include/CWALBuffer.h.
//
// SQLite writes each WAL frame as two writes (its 24-byte header, then the page) at consecutive offsets, so a
// group commit of a few hundred events is a few thousand `pwrite` calls; here they become a few large ones.
// Correctness rests on three rules:
//  1. Only consecutive writes are gathered; a write elsewhere first writes the buffer out, so the file receives
//     the same bytes at the same offsets in the same order as without the shim.
//  2. Every other method on the log (sync, read, truncate, size, lock, file control, close…) first writes the
//     buffer out, so whatever SQLite or the system reads or syncs sees every byte written before it.
//  3. The page that follows a commit frame's header (bytes 4–7 of the header nonzero: the database size after the
//     commit) is written out at once. SQLite publishes a commit in the shared WAL index only after writing its
//     frames (and, under `synchronous = FULL`, syncing them), so other connections never look for a frame that
//     is still in a buffer.
// A crash loses only what a crash would lose anyway: frames of a commit that was not yet synced, hence not
// acknowledged.

#include "CWALBuffer.h"

#include <pthread.h>
#include <sqlite3.h>
#include <string.h>

/// The most bytes one buffer holds before it is written out: 31 frames of 4 KiB pages. The unix VFS writes at most
/// 128 KiB - 1 bytes per call (`seekAndWriteFd` masks the length with 0x1ffff), so a buffer must stay under it.
#define CWALBUFFER_CAPACITY (31 * (4096 + 24))
_Static_assert(CWALBUFFER_CAPACITY <= 0x1ffff, "the unix VFS writes at most 0x1ffff bytes per call");

typedef struct BufferedFile {
    sqlite3_file base;      // our methods
    sqlite3_file *real;     // the real VFS's file, in the same allocation, right after this struct
    unsigned char *bytes;   // the buffer (CWALBUFFER_CAPACITY bytes), from the first write on
    int length;             // bytes buffered
    sqlite3_int64 offset;   // where bytes[0] goes in the file
    int writeOutAfterNext;  // the last write was a commit frame's header: write out after its page
    long long writes;       // writes SQLite made to this file
    long long flushes;      // writes this file made to the real one
} BufferedFile;

static sqlite3_vfs *realVfs;
static sqlite3_vfs bufferedVfs;
static sqlite3_io_methods bufferedMethods;

static int writeOut(BufferedFile *file) {
    if (file->length == 0) return SQLITE_OK;
    int length = file->length;
    file->length = 0;
    file->flushes += 1;
    return file->real->pMethods->xWrite(file->real, file->bytes, length, file->offset);
}

static int bufferedClose(sqlite3_file *handle) {
    BufferedFile *file = (BufferedFile *)handle;
    int rc = writeOut(file);
    int closed = file->real->pMethods->xClose(file->real);
    sqlite3_free(file->bytes);
    file->bytes = NULL;
    return rc != SQLITE_OK ? rc : closed;
}

static int bufferedRead(sqlite3_file *handle, void *buffer, int amount, sqlite3_int64 offset) {
    BufferedFile *file = (BufferedFile *)handle;
    int rc = writeOut(file);
    if (rc != SQLITE_OK) return rc;
    return file->real->pMethods->xRead(file->real, buffer, amount, offset);
}

static int bufferedWrite(sqlite3_file *handle, const void *data, int amount, sqlite3_int64 offset) {
    BufferedFile *file = (BufferedFile *)handle;
    file->writes += 1;
    int rc;
    if (file->length > 0 && (offset != file->offset + file->length || file->length + amount > CWALBUFFER_CAPACITY)) {
        if ((rc = writeOut(file)) != SQLITE_OK) return rc;
    }
    if (file->bytes == NULL) {
        // Taken at the first write, so that the readers' handles on the log (they never write) hold no buffer.
        file->bytes = sqlite3_malloc(CWALBUFFER_CAPACITY);
    }
    if (amount > CWALBUFFER_CAPACITY || file->bytes == NULL) {
        file->writeOutAfterNext = 0;
        file->flushes += 1;
        return file->real->pMethods->xWrite(file->real, data, amount, offset);
    }
    if (file->length == 0) file->offset = offset;
    memcpy(file->bytes + file->length, data, (size_t)amount);
    file->length += amount;
    if (file->writeOutAfterNext) {
        file->writeOutAfterNext = 0;
        return writeOut(file);
    }
    // A frame header is the only 24-byte write to a log; bytes 4-7 are nonzero in a commit frame's.
    if (amount == 24) {
        const unsigned char *header = data;
        file->writeOutAfterNext = (header[4] | header[5] | header[6] | header[7]) != 0;
    }
    return SQLITE_OK;
}

static int bufferedTruncate(sqlite3_file *handle, sqlite3_int64 size) {
    BufferedFile *file = (BufferedFile *)handle;
    int rc = writeOut(file);
    if (rc != SQLITE_OK) return rc;
    return file->real->pMethods->xTruncate(file->real, size);
}

static int bufferedSync(sqlite3_file *handle, int flags) {
    BufferedFile *file = (BufferedFile *)handle;
    int rc = writeOut(file);
    if (rc != SQLITE_OK) return rc;
    return file->real->pMethods->xSync(file->real, flags);
}

static int bufferedFileSize(sqlite3_file *handle, sqlite3_int64 *size) {
    BufferedFile *file = (BufferedFile *)handle;
    int rc = writeOut(file);
    if (rc != SQLITE_OK) return rc;
    return file->real->pMethods->xFileSize(file->real, size);
}

static int bufferedLock(sqlite3_file *handle, int level) {
    BufferedFile *file = (BufferedFile *)handle;
    int rc = writeOut(file);
    if (rc != SQLITE_OK) return rc;
    return file->real->pMethods->xLock(file->real, level);
}

static int bufferedUnlock(sqlite3_file *handle, int level) {
    BufferedFile *file = (BufferedFile *)handle;
    int rc = writeOut(file);
    if (rc != SQLITE_OK) return rc;
    return file->real->pMethods->xUnlock(file->real, level);
}

static int bufferedCheckReservedLock(sqlite3_file *handle, int *result) {
    BufferedFile *file = (BufferedFile *)handle;
    int rc = writeOut(file);
    if (rc != SQLITE_OK) return rc;
    return file->real->pMethods->xCheckReservedLock(file->real, result);
}

static int bufferedFileControl(sqlite3_file *handle, int op, void *argument) {
    BufferedFile *file = (BufferedFile *)handle;
    int rc = writeOut(file);
    if (rc != SQLITE_OK) return rc;
    return file->real->pMethods->xFileControl(file->real, op, argument);
}

static int bufferedSectorSize(sqlite3_file *handle) {
    BufferedFile *file = (BufferedFile *)handle;
    return file->real->pMethods->xSectorSize(file->real);
}

static int bufferedDeviceCharacteristics(sqlite3_file *handle) {
    BufferedFile *file = (BufferedFile *)handle;
    return file->real->pMethods->xDeviceCharacteristics(file->real);
}

// SQLite maps shared memory and pages of the database file only; a log never gets these calls. They are forwarded
// all the same, to a real file recent enough to have them.
static int bufferedShmMap(sqlite3_file *handle, int region, int size, int extend, void volatile **pointer) {
    BufferedFile *file = (BufferedFile *)handle;
    if (file->real->pMethods->iVersion < 2) return SQLITE_IOERR;
    return file->real->pMethods->xShmMap(file->real, region, size, extend, pointer);
}

static int bufferedShmLock(sqlite3_file *handle, int offset, int n, int flags) {
    BufferedFile *file = (BufferedFile *)handle;
    if (file->real->pMethods->iVersion < 2) return SQLITE_IOERR;
    return file->real->pMethods->xShmLock(file->real, offset, n, flags);
}

static void bufferedShmBarrier(sqlite3_file *handle) {
    BufferedFile *file = (BufferedFile *)handle;
    if (file->real->pMethods->iVersion >= 2) file->real->pMethods->xShmBarrier(file->real);
}

static int bufferedShmUnmap(sqlite3_file *handle, int deleteFlag) {
    BufferedFile *file = (BufferedFile *)handle;
    if (file->real->pMethods->iVersion < 2) return SQLITE_OK;
    return file->real->pMethods->xShmUnmap(file->real, deleteFlag);
}

static int bufferedFetch(sqlite3_file *handle, sqlite3_int64 offset, int amount, void **pointer) {
    BufferedFile *file = (BufferedFile *)handle;
    *pointer = NULL;  // no mapping: SQLite reads instead
    int rc = writeOut(file);
    if (rc != SQLITE_OK || file->real->pMethods->iVersion < 3) return rc;
    return file->real->pMethods->xFetch(file->real, offset, amount, pointer);
}

static int bufferedUnfetch(sqlite3_file *handle, sqlite3_int64 offset, void *pointer) {
    BufferedFile *file = (BufferedFile *)handle;
    if (file->real->pMethods->iVersion < 3) return SQLITE_OK;
    return file->real->pMethods->xUnfetch(file->real, offset, pointer);
}

static int bufferedOpen(sqlite3_vfs *vfs, const char *name, sqlite3_file *handle, int flags, int *outFlags) {
    (void)vfs;
    if (!(flags & SQLITE_OPEN_WAL)) {
        // Not a log: the real VFS's file, in place (the allocation is at least its size).
        return realVfs->xOpen(realVfs, name, handle, flags, outFlags);
    }
    BufferedFile *file = (BufferedFile *)handle;
    memset(file, 0, sizeof(BufferedFile));
    file->real = (sqlite3_file *)(file + 1);
    int rc = realVfs->xOpen(realVfs, name, file->real, flags, outFlags);
    if (rc != SQLITE_OK) {
        if (file->real->pMethods != NULL) file->real->pMethods->xClose(file->real);
        return rc;
    }
    file->base.pMethods = &bufferedMethods;
    return SQLITE_OK;
}

static int installResult = SQLITE_OK;
static pthread_once_t installOnce = PTHREAD_ONCE_INIT;

static void install(void) {
    realVfs = sqlite3_vfs_find(NULL);
    if (realVfs == NULL) {
        installResult = SQLITE_ERROR;
        return;
    }
    bufferedMethods = (sqlite3_io_methods){
        .iVersion = 3,
        .xClose = bufferedClose,
        .xRead = bufferedRead,
        .xWrite = bufferedWrite,
        .xTruncate = bufferedTruncate,
        .xSync = bufferedSync,
        .xFileSize = bufferedFileSize,
        .xLock = bufferedLock,
        .xUnlock = bufferedUnlock,
        .xCheckReservedLock = bufferedCheckReservedLock,
        .xFileControl = bufferedFileControl,
        .xSectorSize = bufferedSectorSize,
        .xDeviceCharacteristics = bufferedDeviceCharacteristics,
        .xShmMap = bufferedShmMap,
        .xShmLock = bufferedShmLock,
        .xShmBarrier = bufferedShmBarrier,
        .xShmUnmap = bufferedShmUnmap,
        .xFetch = bufferedFetch,
        .xUnfetch = bufferedUnfetch,
    };
    // Everything but the name, the file size and the opening is the real VFS's.
    bufferedVfs = *realVfs;
    bufferedVfs.pNext = NULL;
    bufferedVfs.zName = "defence-wal-buffer";
    bufferedVfs.szOsFile = (int)sizeof(BufferedFile) + realVfs->szOsFile;
    bufferedVfs.xOpen = bufferedOpen;
    installResult = sqlite3_vfs_register(&bufferedVfs, 1);
}

int cwalbuffer_install(void) {
    pthread_once(&installOnce, install);
    return installResult;
}

int cwalbuffer_file_counts(const void *pointer, long long *writes, long long *flushes) {
    const sqlite3_file *handle = pointer;
    if (handle == NULL || handle->pMethods != &bufferedMethods) return 0;
    const BufferedFile *file = (const BufferedFile *)handle;
    *writes = file->writes;
    *flushes = file->flushes;
    return 1;
}
