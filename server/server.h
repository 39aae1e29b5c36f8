#pragma once
// `livectl serve`'s network side: one libwebsockets context serving HTTP
// and WebSockets on one port from one event-loop thread, which also owns the
// SessionHost. lws runs on a libev loop, which waits with epoll: a turn
// costs what the sockets that are ready cost, not a poll over every socket.
// Each turn services the ready sockets, then ends the host's turn (one
// commit, then the released frames and pages) and writes what each
// WebSocket was given, one send per socket.
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "engine/status.h"
#include "server/session_host.h"

struct lws;
struct lws_context;
struct ev_loop;

namespace livectl::server {

class Server {
 public:
  // Listens on `host_address`:`port` (an IPv4 or IPv6 address; port 0 = any
  // free port, see port()). `host` must outlive the server. Errors, one
  // sentence each:
  //   "port 8000 on 127.0.0.1 is in use by another program"
  //   "127.0.0.2 is not an address of this machine"
  //   "cannot listen on HOST port PORT: <reason>"
  static Status start(SessionHost& host, const std::string& host_address, int port,
                      std::unique_ptr<Server>* out);
  // Whether start() could listen there now, with start()'s errors; for
  // checking a command line before anything is created.
  static Status check_address(const std::string& host_address, int port);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // The port listened on.
  int port() const { return port_; }

  // Serves until SIGINT or SIGTERM (handled from start() on): then stops accepting, commits what
  // was applied, and closes every connection. Returns the error that stopped it early, if any.
  // REQUIRES: one Server runs at a time (signals are global).
  Status run();

  SessionHost& host() { return host_; }

  // Called on the loop's thread about once a second, between turns, after
  // SessionHost::settle() (nothing applied is uncommitted then): for work
  // such as taking over the sessions of a process that died.
  void set_housekeeping(std::function<void()> housekeeping) {
    housekeeping_ = std::move(housekeeping);
  }

  // Wakes the event loop from any thread, such as a storage's writer
  // thread whose commit ended (SessionHost::end_turn then releases what it
  // held). REQUIRES: run() has not returned.
  void interrupt();

  // The SessionHost::Wake for sockets this server serves: a WebSocket is
  // listed to be written at the end of the turn, without waiting to be
  // told it is writable; an HTTP exchange asks for a writable callback.
  static void wake(lws* socket);
  // Takes `socket` off the end-of-turn list: it is closing.
  static void unlist(lws* socket);
  // The SessionHost::Abort (Server::start sets it): the close frame is
  // written if the socket becomes writable; it is dropped after a short
  // grace either way.
  static void abort(lws* socket);

 private:
  struct Watchers;  // libev's, in server.cpp
  explicit Server(SessionHost& host);
  // The end of a turn: libev calls it before it waits for the sockets again.
  void end_turn();
  // Writes what end_turn() listed.
  void write_listed();

  SessionHost& host_;
  std::function<void()> housekeeping_;
  struct ev_loop* loop_ = nullptr;
  std::unique_ptr<Watchers> watchers_;
  lws_context* context_ = nullptr;
  int port_ = 0;
  int64_t next_stall_check_ms_ = 0;
  std::vector<lws*> to_write_;  // WebSockets given frames this turn
};

}  // namespace livectl::server
