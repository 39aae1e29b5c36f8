#pragma once
// The server's view of one WebSocket and one HTTP exchange. Both are owned
// by the endpoint that accepted them (websocket_endpoint.cpp,
// http_endpoint.cpp) and live on the event-loop thread only; the
// SessionHost holds pointers to them from attach/await until detach/forget.
#include <cstdint>
#include <optional>
#include <string>

#include "server/form_fields.h"
#include "server/outgoing_queue.h"
#include "server/rate_limit.h"

struct lws;

namespace livectl::server {

// Limits for what one client may cost the server. Each default carries its reason.
struct ServerLimits {
  // A liveSend is a small JSON value; a larger frame closes the connection
  // before it is buffered, so one client cannot hold much memory.
  size_t max_frame_bytes = 64 * 1024;
  // Unsent frames per connection. 1 MiB is ~10,000 tic-tac-toe states: only
  // a page that stopped reading gets there. It is then closed and resyncs
  // when it reconnects.
  size_t max_queue_bytes = 1024 * 1024;
  // liveSends per connection and second, and the burst allowed above it: a
  // person clicks a few times a second and a bot a few dozen. Above the
  // rate, messages are dropped and the sender is told.
  double messages_per_second = 50;
  double message_burst = 100;
  // Open pages per participant: a few tabs are normal, thousands are an attack.
  int max_connections_per_participant = 8;
  // A page with frames to take that takes none for this long is closed: a
  // browser tab that is merely slow reads within seconds; 30 s without a
  // byte is a page that stopped reading but whose queue has not filled.
  int64_t stall_timeout_ms = 30'000;
};

// A participant of a served session: the session's index in the host and
// the participant's id_in_session.
struct Seat {
  uint32_t session = 0;
  uint32_t participant = 0;
};

struct Connection {
  Connection(lws* socket, Seat seat, const ServerLimits& limits)
      : socket(socket),
        seat(seat),
        outgoing(limits.max_queue_bytes),
        rate(limits.messages_per_second, limits.message_burst) {}

  lws* socket;
  Seat seat;
  OutgoingQueue outgoing;
  RateLimit rate;
  bool dropping = false;  // over the rate; the sender was told once
  std::string incoming;   // the fragments of the message being received
  bool incoming_binary = false;
  // Set to close the connection at its next writable callback, with this
  // WebSocket close code and reason (SessionHost::close also makes sure it
  // closes when no writable callback comes).
  int close_code = 0;
  std::string close_reason;
  // Monotonic ms since which the socket has had something to write and
  // written nothing (frames queued here, or bytes lws holds because the
  // kernel took only part of them: `choked`). Meaningful only while it
  // has something to write.
  int64_t waiting_since_ms = 0;
  bool choked = false;
  size_t os_unsent = 0;  // the OS's unsent bytes at the last stall check
  bool wrote = false;    // wrote to the OS since the last stall check
  // The page sent a close frame: lws answers it, and nothing is written after.
  bool peer_closed = false;
  // Listed to be written at the end of the turn (Server::wake).
  bool write_listed = false;
};

// One HTTP request to a participant's page. Its response is built at the end
// of the event-loop turn, from committed state only.
struct HttpExchange {
  // kRoom: a room sent the participant to their page (server/room.h); the
  // 303 waits for the commit of their arrival.
  enum class Request : uint8_t { kNone, kPage, kSubmit, kRoom };

  explicit HttpExchange(lws* socket) : socket(socket) {}
  void reset() {
    request = Request::kNone;
    seat = Seat{};
    form.clear();
    refused.reset();
    status = 0;
    content_type = nullptr;
    location.clear();
    set_cookie.clear();
    node.clear();
    body.clear();
    headers_sent = false;
  }

  lws* socket;
  Request request = Request::kNone;
  Seat seat;
  std::string form;  // a POST's body as received
  // A submit the engine refused for its form values: answered with the
  // page again, showing them (SessionHost::submit_form).
  std::optional<RefusedForm> refused;
  // The response; status 0 until it is ready.
  int status = 0;
  const char* content_type = nullptr;
  std::string location;    // for a redirect
  std::string set_cookie;  // a Set-Cookie header's value; empty: none
  std::string node;        // an X-Livectl-Node header's value; empty: none
  std::string body;
  bool headers_sent = false;
};

}  // namespace livectl::server
