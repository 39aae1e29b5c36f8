#pragma once
// `livectl serve`'s network side: one libwebsockets context serving HTTP
// and WebSockets on one port from one event-loop thread, which also owns the
// SessionHost. Each turn of the loop services the sockets, then ends the
// host's turn (one commit, then the released frames and pages).
#include <functional>
#include <memory>
#include <string>

#include "engine/status.h"
#include "server/session_host.h"

struct lws;
struct lws_context;

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

  // The SessionHost::Wake for sockets this server serves.
  static void wake(lws* socket);
  // The SessionHost::Abort (Server::start sets it): the close frame is
  // written if the socket becomes writable; it is dropped after a short
  // grace either way.
  static void abort(lws* socket);

 private:
  explicit Server(SessionHost& host) : host_(host) {}
  SessionHost& host_;
  std::function<void()> housekeeping_;
  lws_context* context_ = nullptr;
  int port_ = 0;
};

}  // namespace livectl::server
