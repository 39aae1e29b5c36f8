#pragma once
// What the load generator reads about processes from Linux's /proc: the
// server's memory, and which process listens on a port.
#include <cstdint>
#include <optional>

namespace livectl::load {

// VmRSS of process `pid` in KiB (/proc/PID/status); nullopt when it cannot
// be read (the process is gone or belongs to another user).
std::optional<int64_t> resident_kib(int pid);
// CPU time used so far by process `pid` (user + system, all threads), in
// clock ticks (sysconf(_SC_CLK_TCK) a second); nullopt when unreadable.
std::optional<int64_t> process_cpu_ticks(int pid);

// CPU time of the whole machine so far, all cores, in clock ticks.
struct MachineCpu {
  int64_t busy = 0;  // everything but idle and iowait
  int64_t total = 0;
};
std::optional<MachineCpu> machine_cpu_ticks();
int64_t clock_ticks_per_second();

// VmHWM, the peak resident set, of this process in KiB.
std::optional<int64_t> own_peak_resident_kib();

// The process listening on TCP `port` (IPv4 or IPv6), found through the
// socket's inode in /proc/net/tcp{,6} and the fds in /proc/*/fd. nullopt when
// nothing listens there or the listener belongs to another user.
std::optional<int> find_listening_pid(int port);

// Raises this process's open-file limit (RLIMIT_NOFILE) to its hard limit:
// each connection is one file descriptor, and the usual soft limit of 1024
// is far below a large session. Returns the limit now in force.
int64_t raise_open_file_limit();

}  // namespace livectl::load
