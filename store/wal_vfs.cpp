#include "store/wal_vfs.h"

#include <sqlite3.h>

#include <string>

namespace livectl::store {

namespace {

// Gathered frames are written out before they pass this size: the unix
// VFS writes at most 128 KiB - 1 bytes per call (its seekAndWrite masks the
// length to 17 bits, and a longer write comes out short and is reported as
// a full disk), and SQLite's own writes are never that long.
constexpr size_t kMaxGatheredBytes = 128 * 1024 - 1;

sqlite3_vfs* base_vfs = nullptr;

// The write-ahead log's sqlite3_file: the default VFS's file follows it in
// the same allocation (szOsFile).
struct WalFile {
  sqlite3_file base;
  std::string* gathered;  // the writes not handed to the OS yet,
  sqlite3_int64 start;    // which begin at this offset of the file
};

sqlite3_file* inner(sqlite3_file* file) {
  return reinterpret_cast<sqlite3_file*>(reinterpret_cast<WalFile*>(file) + 1);
}

// Hands what was gathered to the OS: one pwrite.
int write_out(sqlite3_file* file) {
  auto* wal = reinterpret_cast<WalFile*>(file);
  if (wal->gathered->empty()) return SQLITE_OK;
  sqlite3_file* real = inner(file);
  const int rc = real->pMethods->xWrite(real, wal->gathered->data(),
                                        static_cast<int>(wal->gathered->size()), wal->start);
  wal->gathered->clear();
  return rc;
}

int wal_close(sqlite3_file* file) {
  const int written = write_out(file);
  sqlite3_file* real = inner(file);
  const int closed = real->pMethods->xClose(real);
  delete reinterpret_cast<WalFile*>(file)->gathered;
  return written != SQLITE_OK ? written : closed;
}

int wal_read(sqlite3_file* file, void* buffer, int amount, sqlite3_int64 offset) {
  if (const int rc = write_out(file); rc != SQLITE_OK) return rc;
  sqlite3_file* real = inner(file);
  return real->pMethods->xRead(real, buffer, amount, offset);
}

int wal_write(sqlite3_file* file, const void* data, int amount, sqlite3_int64 offset) {
  auto* wal = reinterpret_cast<WalFile*>(file);
  std::string& gathered = *wal->gathered;
  const auto size = static_cast<size_t>(amount);
  const bool follows = !gathered.empty() &&
                       offset == wal->start + static_cast<sqlite3_int64>(gathered.size()) &&
                       gathered.size() + size <= kMaxGatheredBytes;
  if (!follows) {
    if (const int rc = write_out(file); rc != SQLITE_OK) return rc;
    if (size > kMaxGatheredBytes) {
      sqlite3_file* real = inner(file);
      return real->pMethods->xWrite(real, data, amount, offset);
    }
    wal->start = offset;
  }
  gathered.append(static_cast<const char*>(data), size);
  return SQLITE_OK;
}

int wal_truncate(sqlite3_file* file, sqlite3_int64 size) {
  if (const int rc = write_out(file); rc != SQLITE_OK) return rc;
  sqlite3_file* real = inner(file);
  return real->pMethods->xTruncate(real, size);
}

int wal_sync(sqlite3_file* file, int flags) {
  if (const int rc = write_out(file); rc != SQLITE_OK) return rc;
  sqlite3_file* real = inner(file);
  return real->pMethods->xSync(real, flags);
}

int wal_file_size(sqlite3_file* file, sqlite3_int64* size) {
  if (const int rc = write_out(file); rc != SQLITE_OK) return rc;
  sqlite3_file* real = inner(file);
  return real->pMethods->xFileSize(real, size);
}

int wal_lock(sqlite3_file* file, int level) {
  sqlite3_file* real = inner(file);
  return real->pMethods->xLock(real, level);
}

int wal_unlock(sqlite3_file* file, int level) {
  sqlite3_file* real = inner(file);
  return real->pMethods->xUnlock(real, level);
}

int wal_check_reserved_lock(sqlite3_file* file, int* out) {
  sqlite3_file* real = inner(file);
  return real->pMethods->xCheckReservedLock(real, out);
}

int wal_file_control(sqlite3_file* file, int op, void* argument) {
  if (const int rc = write_out(file); rc != SQLITE_OK) return rc;
  sqlite3_file* real = inner(file);
  return real->pMethods->xFileControl(real, op, argument);
}

int wal_sector_size(sqlite3_file* file) {
  sqlite3_file* real = inner(file);
  return real->pMethods->xSectorSize(real);
}

int wal_device_characteristics(sqlite3_file* file) {
  sqlite3_file* real = inner(file);
  return real->pMethods->xDeviceCharacteristics(real);
}

// A log is not memory-mapped and has no wal-index of its own; these are
// passed on for completeness.
int wal_shm_map(sqlite3_file* file, int page, int page_size, int extend, void volatile** out) {
  sqlite3_file* real = inner(file);
  return real->pMethods->xShmMap(real, page, page_size, extend, out);
}

int wal_shm_lock(sqlite3_file* file, int offset, int n, int flags) {
  sqlite3_file* real = inner(file);
  return real->pMethods->xShmLock(real, offset, n, flags);
}

void wal_shm_barrier(sqlite3_file* file) {
  sqlite3_file* real = inner(file);
  real->pMethods->xShmBarrier(real);
}

int wal_shm_unmap(sqlite3_file* file, int delete_flag) {
  sqlite3_file* real = inner(file);
  return real->pMethods->xShmUnmap(real, delete_flag);
}

int wal_fetch(sqlite3_file* file, sqlite3_int64 offset, int amount, void** out) {
  *out = nullptr;  // no mapping: SQLite reads instead
  (void)file;
  (void)offset;
  (void)amount;
  return SQLITE_OK;
}

int wal_unfetch(sqlite3_file*, sqlite3_int64, void*) {
  return SQLITE_OK;
}

const sqlite3_io_methods kWalMethods = {
    3,
    wal_close,
    wal_read,
    wal_write,
    wal_truncate,
    wal_sync,
    wal_file_size,
    wal_lock,
    wal_unlock,
    wal_check_reserved_lock,
    wal_file_control,
    wal_sector_size,
    wal_device_characteristics,
    wal_shm_map,
    wal_shm_lock,
    wal_shm_barrier,
    wal_shm_unmap,
    wal_fetch,
    wal_unfetch,
};

// Every file but a write-ahead log is the default VFS's own, opened in
// place: SQLite then calls the default methods directly.
int open_file(sqlite3_vfs*, sqlite3_filename name, sqlite3_file* file, int flags, int* out_flags) {
  if (!(flags & SQLITE_OPEN_WAL)) return base_vfs->xOpen(base_vfs, name, file, flags, out_flags);
  auto* wal = reinterpret_cast<WalFile*>(file);
  wal->base.pMethods = nullptr;
  const int rc = base_vfs->xOpen(base_vfs, name, inner(file), flags, out_flags);
  if (rc != SQLITE_OK) return rc;
  wal->gathered = new std::string();
  wal->start = 0;
  wal->base.pMethods = &kWalMethods;
  return SQLITE_OK;
}

// The rest is the default VFS's, called with the default VFS (the unix VFS
// keeps state in its own pAppData).
int delete_file(sqlite3_vfs*, const char* name, int sync_dir) {
  return base_vfs->xDelete(base_vfs, name, sync_dir);
}
int access(sqlite3_vfs*, const char* name, int flags, int* out) {
  return base_vfs->xAccess(base_vfs, name, flags, out);
}
int full_pathname(sqlite3_vfs*, const char* name, int size, char* out) {
  return base_vfs->xFullPathname(base_vfs, name, size, out);
}
void* dl_open(sqlite3_vfs*, const char* name) {
  return base_vfs->xDlOpen(base_vfs, name);
}
void dl_error(sqlite3_vfs*, int size, char* out) {
  base_vfs->xDlError(base_vfs, size, out);
}
void (*dl_sym(sqlite3_vfs*, void* handle, const char* symbol))(void) {
  return base_vfs->xDlSym(base_vfs, handle, symbol);
}
void dl_close(sqlite3_vfs*, void* handle) {
  base_vfs->xDlClose(base_vfs, handle);
}
int randomness(sqlite3_vfs*, int size, char* out) {
  return base_vfs->xRandomness(base_vfs, size, out);
}
int sleep_for(sqlite3_vfs*, int microseconds) {
  return base_vfs->xSleep(base_vfs, microseconds);
}
int current_time(sqlite3_vfs*, double* out) {
  return base_vfs->xCurrentTime(base_vfs, out);
}
int last_error(sqlite3_vfs*, int size, char* out) {
  return base_vfs->xGetLastError(base_vfs, size, out);
}
int current_time_int64(sqlite3_vfs*, sqlite3_int64* out) {
  return base_vfs->xCurrentTimeInt64(base_vfs, out);
}

sqlite3_vfs vfs{};

const char* register_vfs() {
  base_vfs = sqlite3_vfs_find(nullptr);
  if (!base_vfs || base_vfs->iVersion < 2) return nullptr;
  vfs.iVersion = 2;
  vfs.szOsFile = static_cast<int>(sizeof(WalFile)) + base_vfs->szOsFile;
  vfs.mxPathname = base_vfs->mxPathname;
  vfs.zName = "livectl-batched-wal";
  vfs.xOpen = open_file;
  vfs.xDelete = delete_file;
  vfs.xAccess = access;
  vfs.xFullPathname = full_pathname;
  vfs.xDlOpen = dl_open;
  vfs.xDlError = dl_error;
  vfs.xDlSym = dl_sym;
  vfs.xDlClose = dl_close;
  vfs.xRandomness = randomness;
  vfs.xSleep = sleep_for;
  vfs.xCurrentTime = current_time;
  vfs.xGetLastError = last_error;
  vfs.xCurrentTimeInt64 = current_time_int64;
  if (sqlite3_vfs_register(&vfs, 0) != SQLITE_OK) return nullptr;
  return vfs.zName;
}

}  // namespace

const char* batched_wal_vfs() {
  static const char* const name = register_vfs();
  return name;
}

}  // namespace livectl::store
