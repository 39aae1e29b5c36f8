#include "server/server.h"

#include <arpa/inet.h>
#include <ev.h>
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

// What SIGINT and SIGTERM wake (ev_async_send is safe in a signal handler).
struct ev_loop* signal_loop = nullptr;
ev_async* signal_wakeup = nullptr;

// On a graceful stop, how long the frames of the last turns may take to be
// written before the connections are closed.
constexpr int64_t kDrainMs = 500;

void request_stop(int) {
  stop_requested = 1;
  if (signal_loop) ev_async_send(signal_loop, signal_wakeup);
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
      case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
      case LWS_CALLBACK_CLOSED:
        if (!per_socket) return 0;
        if (reason == LWS_CALLBACK_CLOSED && per_socket->connection &&
            per_socket->connection->write_listed) {
          Server::unlist(socket);
        }
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
    // tx_packet_size: what one send may hand the kernel (a turn's frames for
    // a socket go in one write of up to 64 KiB, websocket_endpoint.cpp).
    {"livectl", callback, sizeof(PerSocket), 4096, 0, nullptr, 64 * 1024 + 16},
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

// libev's watchers for the loop: the end of each turn, the next timer, and
// the wake-up from other threads and signals.
struct Server::Watchers {
  ev_prepare turn_end;
  ev_timer tick;
  ev_async wakeup;
  Server* server;
};

Server::Server(SessionHost& host) : host_(host) {}

Status Server::start(SessionHost& host, const std::string& host_address, int port,
                     std::unique_ptr<Server>* out) {
  raise_open_file_limit();
  if (port < 0 || port > 65535) return Status::Error("--port must be from 0 to 65535");
  if (Status status = check_listen(host_address, port); !status.ok()) return status;

  std::unique_ptr<Server> server(new Server(host));
  server->loop_ = ev_loop_new(EVBACKEND_EPOLL);
  if (!server->loop_) return Status::Error("cannot create the event loop (epoll)");
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
  // lws on our libev loop: lws loads its libev glue as a plugin, from
  // Debian's libwebsockets-evlib-ev (a dependency of libwebsockets-dev).
  void* foreign_loops[] = {server->loop_};
  info.options |= LWS_SERVER_OPTION_LIBEV;
  info.foreign_loops = foreign_loops;
  server->context_ = lws_create_context(&info);
  if (!server->context_) {
    // Without libev: tell a missing plugin from a failure to listen.
    info.options &= ~LWS_SERVER_OPTION_LIBEV;
    info.foreign_loops = nullptr;
    if (lws_context* plain = lws_create_context(&info)) {
      lws_context_destroy(plain);
      return Status::Error(
          "libwebsockets could not load its libev plugin; install Debian's "
          "libwebsockets-evlib-ev (scripts/bootstrap.sh does)");
    }
    return Status::Error("cannot listen on port " + std::to_string(port) + " on " + host_address);
  }
  server->port_ = lws_get_vhost_listen_port(lws_get_vhost_by_name(server->context_, "default"));
  if (server->port_ <= 0) server->port_ = port;

  server->watchers_ = std::make_unique<Watchers>();
  Watchers& watchers = *server->watchers_;
  watchers.server = server.get();
  ev_prepare_init(&watchers.turn_end, [](struct ev_loop*, ev_prepare* watcher, int) {
    reinterpret_cast<Watchers*>(watcher)->server->end_turn();
  });
  ev_timer_init(
      &watchers.tick, [](struct ev_loop*, ev_timer*, int) {}, 0., 0.);
  // Waking is all it does: the turn's end follows.
  ev_async_init(&watchers.wakeup, [](struct ev_loop*, ev_async*, int) {});
  ev_async_start(server->loop_, &watchers.wakeup);
  signal_loop = server->loop_;
  signal_wakeup = &watchers.wakeup;
  install_stop_handlers();
  host.set_abort(&Server::abort);
  *out = std::move(server);
  return Status();
}

void Server::wake(lws* socket) {
  auto* per_socket = static_cast<PerSocket*>(lws_wsi_user(socket));
  Connection* connection = per_socket ? per_socket->connection : nullptr;
  if (!connection) {
    lws_callback_on_writable(socket);
    return;
  }
  if (connection->write_listed) return;
  connection->write_listed = true;
  auto* server = static_cast<Server*>(lws_context_user(lws_get_context(socket)));
  server->to_write_.push_back(socket);
}

void Server::unlist(lws* socket) {
  auto* server = static_cast<Server*>(lws_context_user(lws_get_context(socket)));
  std::erase(server->to_write_, socket);
}

void Server::write_listed() {
  // Nothing in here closes a socket or lists another (write_now calls no
  // lws callback), so the list holds still while it is written.
  for (lws* socket : to_write_) {
    Connection& connection = *static_cast<PerSocket*>(lws_wsi_user(socket))->connection;
    connection.write_listed = false;
    write_now(socket, connection);
  }
  to_write_.clear();
}

void Server::interrupt() {
  ev_async_send(loop_, &watchers_->wakeup);
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
  signal_loop = nullptr;
  signal_wakeup = nullptr;
  if (loop_) ev_loop_destroy(loop_);
}

void Server::end_turn() {
  if (stop_requested) {
    ev_break(loop_, EVBREAK_ALL);
    return;
  }
  int64_t due_in_ms = host_.fire_due();
  host_.end_turn();
  const int64_t now = monotonic_ms();
  if (now >= next_stall_check_ms_) {
    next_stall_check_ms_ = now + kStallCheckMs;
    if (housekeeping_) {
      host_.settle();
      housekeeping_();
    }
    host_.close_stalled(now, unsent_bytes);
  }
  write_listed();
  // Wake when the next page timeout or game timer is due, or the next
  // stall check, if no socket has anything to say before.
  due_in_ms = std::max<int64_t>(0, std::min(due_in_ms, next_stall_check_ms_ - now));
  watchers_->tick.repeat = static_cast<ev_tstamp>(due_in_ms) / 1000.;
  ev_timer_again(loop_, &watchers_->tick);
}

Status Server::run() {
  next_stall_check_ms_ = monotonic_ms() + kStallCheckMs;
  ev_prepare_start(loop_, &watchers_->turn_end);
  if (!stop_requested) ev_run(loop_, 0);  // until end_turn() breaks it
  ev_prepare_stop(loop_, &watchers_->turn_end);
  host_.settle();
  write_listed();
  // What was committed was promised: give the sockets a moment to write it.
  const int64_t drain_until = monotonic_ms() + kDrainMs;
  for (int64_t now = monotonic_ms(); host_.sending() && now < drain_until; now = monotonic_ms()) {
    watchers_->tick.repeat = static_cast<ev_tstamp>(drain_until - now) / 1000.;
    ev_timer_again(loop_, &watchers_->tick);
    ev_run(loop_, EVRUN_ONCE);
  }
  ev_timer_stop(loop_, &watchers_->tick);
  lws_context_destroy(context_);
  context_ = nullptr;
  restore_stop_handlers();
  return Status();
}
}  // namespace livectl::server
