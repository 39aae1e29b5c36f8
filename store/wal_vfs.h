#pragma once
// An SQLite VFS over the default one ("unix") that gathers the writes to a
// write-ahead log and hands them to the OS in one pwrite when SQLite next
// syncs, reads, sizes, truncates or closes the log. SQLite writes each page
// of a commit to the log with two writes (a 24-byte frame header, then the
// page), so a commit that touches five pages costs ten system calls without
// it and one with it (docs/performance.md, "What the server pays per
// message"). Every other file, and every other operation, goes straight to
// the default VFS.
//
// Correct only where every commit syncs the log (synchronous = FULL, as
// SqliteDatabase sets it): other connections see a commit's frames once
// the wal-index says so, which SQLite writes after that sync, and the sync
// writes the gathered frames first. A process killed in between loses only
// frames no commit had claimed yet, as a killed process always does.
namespace livectl::store {

// The VFS's name for sqlite3_open_v2, registered on the first call
// (thread-safe). nullptr when it could not be registered: the default VFS
// is then used.
const char* batched_wal_vfs();

}  // namespace livectl::store
