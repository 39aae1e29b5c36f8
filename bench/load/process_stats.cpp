#include "bench/load/process_stats.h"

#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>

namespace livectl::load {

namespace {

// The value of `key` ("VmRSS:") in a /proc/*/status file, in KiB.
std::optional<int64_t> status_kib(const std::string& path, const std::string& key) {
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    if (line.compare(0, key.size(), key) != 0) continue;
    long long kib = 0;
    if (std::sscanf(line.c_str() + key.size(), "%lld", &kib) == 1) return kib;
  }
  return std::nullopt;
}

// The inode of the socket listening on `port` in a /proc/net/tcp-style table.
std::optional<unsigned long> listening_inode(const char* table, int port) {
  std::ifstream in(table);
  std::string line;
  std::getline(in, line);  // the header
  while (std::getline(in, line)) {
    // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
    std::istringstream fields(line);
    std::string slot, local, remote, state, queues, timer, retransmits, uid, timeout;
    unsigned long inode = 0;
    if (!(fields >> slot >> local >> remote >> state >> queues >> timer >> retransmits >> uid >>
          timeout >> inode)) {
      continue;
    }
    const auto colon = local.rfind(':');
    if (colon == std::string::npos || state != "0A") continue;  // 0A = LISTEN
    if (std::stoi(local.substr(colon + 1), nullptr, 16) == port) return inode;
  }
  return std::nullopt;
}

bool all_digits(const char* name) {
  if (!*name) return false;
  for (; *name; ++name) {
    if (*name < '0' || *name > '9') return false;
  }
  return true;
}

}  // namespace

std::optional<int64_t> resident_kib(int pid) {
  return status_kib("/proc/" + std::to_string(pid) + "/status", "VmRSS:");
}

std::optional<int64_t> process_cpu_ticks(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(in, line)) return std::nullopt;
  // The command name (field 2) may hold spaces; the fields after it are
  // counted from its closing parenthesis. utime and stime are fields 14, 15.
  const auto close = line.rfind(')');
  if (close == std::string::npos) return std::nullopt;
  std::istringstream fields(line.substr(close + 1));
  std::string field;
  for (int i = 3; i <= 13; ++i) fields >> field;
  long long user = 0, system = 0;
  if (!(fields >> user >> system)) return std::nullopt;
  return user + system;
}

std::optional<MachineCpu> machine_cpu_ticks() {
  std::ifstream in("/proc/stat");
  std::string cpu;
  long long user, nice, system, idle, iowait, irq, softirq, steal;
  if (!(in >> cpu >> user >> nice >> system >> idle >> iowait >> irq >> softirq >> steal) ||
      cpu != "cpu") {
    return std::nullopt;
  }
  MachineCpu ticks;
  ticks.busy = user + nice + system + irq + softirq + steal;
  ticks.total = ticks.busy + idle + iowait;
  return ticks;
}

int64_t clock_ticks_per_second() {
  return sysconf(_SC_CLK_TCK);
}

std::optional<int64_t> own_peak_resident_kib() {
  return status_kib("/proc/self/status", "VmHWM:");
}

std::optional<int> find_listening_pid(int port) {
  std::optional<unsigned long> inode = listening_inode("/proc/net/tcp", port);
  if (!inode) inode = listening_inode("/proc/net/tcp6", port);
  if (!inode) return std::nullopt;
  const std::string target = "socket:[" + std::to_string(*inode) + "]";
  DIR* proc = opendir("/proc");
  if (!proc) return std::nullopt;
  std::optional<int> found;
  while (!found) {
    const dirent* process = readdir(proc);
    if (!process) break;
    if (!all_digits(process->d_name)) continue;
    const std::string fd_dir = std::string("/proc/") + process->d_name + "/fd";
    DIR* fds = opendir(fd_dir.c_str());
    if (!fds) continue;  // another user's process
    while (const dirent* fd = readdir(fds)) {
      char link[64];
      const std::string path = fd_dir + "/" + fd->d_name;
      const ssize_t length = readlink(path.c_str(), link, sizeof(link) - 1);
      if (length <= 0) continue;
      link[length] = '\0';
      if (target == link) {
        found = std::atoi(process->d_name);
        break;
      }
    }
    closedir(fds);
  }
  closedir(proc);
  return found;
}

int64_t raise_open_file_limit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return 1024;
  if (limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
    getrlimit(RLIMIT_NOFILE, &limit);
  }
  return limit.rlim_cur == RLIM_INFINITY ? INT64_MAX : static_cast<int64_t>(limit.rlim_cur);
}

}  // namespace livectl::load
