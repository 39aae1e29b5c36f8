#include "server/server.h"

#include <arpa/inet.h>
#include <libwebsockets.h>
#include <linux/sockios.h>
#include <netdb.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>

#include "engine/text.h"
#include "server/endpoints.h"
#include "server/socket_tap.h"

namespace livectl::server {

namespace {

// What lws keeps for each socket (zeroed by lws): the slot of whichever
// endpoint the socket turned out to be.
struct PerSocket {
  HttpExchange* exchange;
  Connection* connection;
};

volatile sig_atomic_t stop_requested = 0;

// Wakes the event loop when the next page timeout or game timer is due
// (SessionHost::fire_due), and at least every kTimeoutResolutionMs, when no
// socket has anything to say.
constexpr lws_usec_t kTickUs = SessionHost::kTimeoutResolutionMs * LWS_US_PER_MS;
lws_sorted_usec_list_t tick;
lws_context* tick_context = nullptr;

// lws runs a due sul inside lws_service, before its poll, and then polls
// until its next event of any kind: with no socket busy, that can be many
// seconds (a tick that came due while the last turn committed would wait
// for it). Cancelling the service makes that poll return at once, so the
// loop fires what is due.
void on_tick(lws_sorted_usec_list_t*) {
  if (tick_context) lws_cancel_service(tick_context);
}

// On a graceful stop, how long the frames of the last turns may take to be
// written before the connections are closed.
constexpr int64_t kDrainMs = 500;

void request_stop(int) {
  stop_requested = 1;
}

// Installed as soon as the server listens, before its address is printed:
// a SIGTERM sent by whoever read that line must stop it gracefully, not
// kill it. Restored when the server is destroyed.
struct sigaction old_int {
}, old_term{};
bool handlers_installed = false;

void install_stop_handlers() {
  stop_requested = 0;
  // No SA_RESTART: the signal interrupts lws's poll, so the loop sees it at once.
  struct sigaction action {};
  action.sa_handler = request_stop;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, &old_int);
  sigaction(SIGTERM, &action, &old_term);
  signal(SIGPIPE, SIG_IGN);
  handlers_installed = true;
}

void restore_stop_handlers() {
  if (!handlers_installed) return;
  sigaction(SIGINT, &old_int, nullptr);
  sigaction(SIGTERM, &old_term, nullptr);
  handlers_installed = false;
}

// A socket that is being closed gets this long for its close frame to
// leave before lws drops it: plenty for a page that reads at all, and a
// page that reads nothing never takes it.
constexpr int kCloseGraceSeconds = 2;

// How often sockets are checked for stalled writes: the stall timeout is
// counted in seconds.
constexpr int64_t kStallCheckMs = 1000;

// The SessionHost::Unsent of this server's sockets: what the kernel holds
// that the peer has not acknowledged.
size_t unsent_bytes(lws* socket) {
  int bytes = 0;
  if (ioctl(lws_get_socket_fd(socket), SIOCOUTQ, &bytes) != 0 || bytes < 0) return 0;
  return static_cast<size_t>(bytes);
}

// Closes a socket after a failure nothing else handled, telling the client
// why: a WebSocket with 1011 (the server failed), an HTTP request with 500
// when its response has not begun.
int close_after_internal_error(lws* socket, lws_callback_reasons reason,
                               const PerSocket* per_socket, const char* what) {
  std::fprintf(stderr, "livectl: closing a connection after an internal error: %s\n", what);
  switch (reason) {
    case LWS_CALLBACK_ESTABLISHED:
    case LWS_CALLBACK_RECEIVE:
    case LWS_CALLBACK_SERVER_WRITEABLE: {
      // Built in a fixed buffer: nothing here may throw again. The prefix
      // is 16 bytes, so `what` gets the other 107 of the 123, cut on a
      // character boundary.
      const std::string_view cut = cut_utf8(what, 107);
      char text[124];
      const int length = std::snprintf(text, sizeof(text), "internal error: %.*s",
                                       static_cast<int>(cut.size()), cut.data());
      lws_close_reason(socket, LWS_CLOSE_STATUS_UNEXPECTED_CONDITION,
                       reinterpret_cast<unsigned char*>(text),
                       static_cast<size_t>(std::max(length, 0)));
      return -1;
    }
    case LWS_CALLBACK_HTTP:
    case LWS_CALLBACK_HTTP_BODY:
    case LWS_CALLBACK_HTTP_BODY_COMPLETION:
    case LWS_CALLBACK_HTTP_WRITEABLE:
      try {
        return answer_internal_error(socket, per_socket ? per_socket->exchange : nullptr, what);
      } catch (...) {
        return -1;  // not even the answer could be made
      }
    default:
      return -1;
  }
}

int callback(lws* socket, lws_callback_reasons reason, void* user, void* in, size_t len) {
  auto* per_socket = static_cast<PerSocket*>(user);
  auto* server = static_cast<Server*>(lws_context_user(lws_get_context(socket)));
  // The boundary with C: nothing unwinds into lws. An unexpected failure
  // closes this socket only, logged, with 1011 and the reason for a
  // WebSocket. (The CLOSED callbacks' clean-up does not throw, so a
  // connection is always detached from the host.)
  try {
    switch (reason) {
      case LWS_CALLBACK_FILTER_NETWORK_CONNECTION:
        // A new connection, before lws reads a byte of it (`in` is its descriptor).
        watch_http(static_cast<int>(reinterpret_cast<intptr_t>(in)));
        return 0;
      case LWS_CALLBACK_HTTP_CONFIRM_UPGRADE:
        return confirm_upgrade(socket);
      case LWS_CALLBACK_HTTP:
      case LWS_CALLBACK_HTTP_BODY:
      case LWS_CALLBACK_HTTP_BODY_COMPLETION:
      case LWS_CALLBACK_HTTP_WRITEABLE:
      case LWS_CALLBACK_CLOSED_HTTP:
      case LWS_CALLBACK_HTTP_DROP_PROTOCOL:
        if (reason == LWS_CALLBACK_CLOSED_HTTP) unwatch(lws_get_socket_fd(socket));
        if (!per_socket) return 0;
        return on_http(server->host(), socket, reason, per_socket->exchange, in, len);
      case LWS_CALLBACK_ESTABLISHED:
      case LWS_CALLBACK_RECEIVE:
      case LWS_CALLBACK_SERVER_WRITEABLE:
      case LWS_CALLBACK_CLOSED:
        if (!per_socket) return 0;
        return on_websocket(server->host(), socket, reason, per_socket->connection, in, len);
      default:
        return lws_callback_http_dummy(socket, reason, user, in, len);
    }
  } catch (const std::exception& e) {
    return close_after_internal_error(socket, reason, per_socket, e.what());
  } catch (...) {
    return close_after_internal_error(socket, reason, per_socket, "an unknown exception");
  }
}

const lws_protocols kProtocols[] = {
    // Clients that name no subprotocol get the first one: browsers and
    // Python clients connect without one.
    {"livectl", callback, sizeof(PerSocket), 4096, 0, nullptr, 0},
    {nullptr, nullptr, 0, 0, 0, nullptr, 0},
};

void log_to_stderr(int level, const char* line) {
  (void)level;
  std::fprintf(stderr, "livectl: lws: %s", line);
}

// Binds a throwaway socket the way lws will, to turn a failure into a
// sentence (lws only logs it). lws sets SO_REUSEADDR too, so a port in
// TIME_WAIT is not reported as in use.
Status check_listen(const std::string& host, int port) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICHOST | AI_PASSIVE;
  addrinfo* found = nullptr;
  if (getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &found) != 0) {
    return Status::Error("--host " + host +
                         " is not an IP address (give e.g. 127.0.0.1 or 0.0.0.0)");
  }
  const int fd = socket(found->ai_family, found->ai_socktype, found->ai_protocol);
  int error = fd < 0 ? errno : 0;
  if (fd >= 0) {
    const int on = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
    if (bind(fd, found->ai_addr, found->ai_addrlen) != 0) error = errno;
    close(fd);
  }
  freeaddrinfo(found);
  const std::string where = "port " + std::to_string(port) + " on " + host;
  switch (error) {
    case 0:
      return Status();
    case EADDRINUSE:
      return Status::Error(where + " is in use by another program");
    case EADDRNOTAVAIL:
      return Status::Error(host + " is not an address of this machine");
    case EACCES:
      return Status::Error(where + " needs privileges; use a port above 1023");
    default:
      return Status::Error("cannot listen on " + where + ": " + std::strerror(error));
  }
}

// Raises the open-file limit to its hard limit. Every connection is a file
// descriptor, lws sizes its tables from this limit when the context is
// created, and the usual soft limit of 1024 is far below a session of
// 10,000 participants. Failure leaves the limit as it was.
void raise_open_file_limit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur >= limit.rlim_max) return;
  limit.rlim_cur = limit.rlim_max;
  setrlimit(RLIMIT_NOFILE, &limit);
}

}  // namespace

int64_t wall_clock_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

int64_t monotonic_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
}

int64_t served_clock_ms() {
  // Read once, on the event-loop thread, before the first event.
  static const int64_t wall_at_start = wall_clock_ms();
  static const int64_t monotonic_at_start = monotonic_ms();
  return wall_at_start + (monotonic_ms() - monotonic_at_start);
}

Status Server::check_address(const std::string& host_address, int port) {
  if (port < 0 || port > 65535) return Status::Error("--port must be from 0 to 65535");
  return check_listen(host_address, port);
}

Status Server::start(SessionHost& host, const std::string& host_address, int port,
                     std::unique_ptr<Server>* out) {
  raise_open_file_limit();
  if (port < 0 || port > 65535) return Status::Error("--port must be from 0 to 65535");
  if (Status status = check_listen(host_address, port); !status.ok()) return status;

  std::unique_ptr<Server> server(new Server(host));
  lws_set_log_level(LLL_ERR, log_to_stderr);
  lws_context_creation_info info;
  std::memset(&info, 0, sizeof(info));
  info.port = port;
  // lws binds every interface when given none.
  const bool any = host_address == "0.0.0.0" || host_address == "::";
  info.iface = any ? nullptr : host_address.c_str();
  if (host_address.find(':') == std::string::npos) info.options |= LWS_SERVER_OPTION_DISABLE_IPV6;
  info.protocols = kProtocols;
  info.user = server.get();
  info.gid = -1;
  info.uid = -1;
  server->context_ = lws_create_context(&info);
  if (!server->context_) {
    return Status::Error("cannot listen on port " + std::to_string(port) + " on " + host_address);
  }
  server->port_ = lws_get_vhost_listen_port(lws_get_vhost_by_name(server->context_, "default"));
  if (server->port_ <= 0) server->port_ = port;
  install_stop_handlers();
  host.set_abort(&Server::abort);
  *out = std::move(server);
  return Status();
}

void Server::wake(lws* socket) {
  lws_callback_on_writable(socket);
}

void Server::interrupt() {
  lws_cancel_service(context_);
}

void Server::abort(lws* socket) {
  // The writable callback, if it comes, sends the close frame; if it never
  // comes, the timeout releases the socket anyway.
  lws_callback_on_writable(socket);
  lws_set_timeout(socket, PENDING_TIMEOUT_USER_OK, kCloseGraceSeconds);
}

Server::~Server() {
  if (context_) lws_context_destroy(context_);
  restore_stop_handlers();
}

Status Server::run() {
  Status result;
  std::memset(&tick, 0, sizeof(tick));
  tick_context = context_;
  lws_sul_schedule(context_, 0, &tick, on_tick, kTickUs);
  int64_t next_stall_check_ms = monotonic_ms() + kStallCheckMs;
  while (!stop_requested) {
    if (lws_service(context_, 0) < 0) {
      result = Status::Error("the event loop failed");
      break;
    }
    const int64_t due_in_ms = host_.fire_due();
    lws_sul_schedule(context_, 0, &tick, on_tick, due_in_ms * LWS_US_PER_MS);
    host_.end_turn();
    if (const int64_t now = monotonic_ms(); now >= next_stall_check_ms) {
      next_stall_check_ms = now + kStallCheckMs;
      if (housekeeping_) {
        host_.settle();
        housekeeping_();
      }
      host_.close_stalled(now, unsent_bytes);
    }
  }
  host_.settle();
  // What was committed was promised: give the sockets a moment to write it.
  const int64_t drain_until = monotonic_ms() + kDrainMs;
  while (result.ok() && host_.sending() && monotonic_ms() < drain_until) {
    if (lws_service(context_, 0) < 0) break;
  }
  lws_sul_cancel(&tick);
  tick_context = nullptr;
  lws_context_destroy(context_);
  context_ = nullptr;
  restore_stop_handlers();
  return result;
}

}  // namespace livectl::server
