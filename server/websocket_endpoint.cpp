// The WebSocket at /live/<code>[?page=N] (docs/protocol.md, "WebSocket").
#include <algorithm>
#include <charconv>
#include <cstring>
#include <string_view>

#include "server/endpoints.h"

namespace livectl::server {

namespace {

// WebSocket close codes this endpoint sends, with what a client should do.
constexpr int kCloseMessageTooBig = 1009;  // do not resend it
constexpr int kCloseUnknownCode = 4404;    // the link is wrong; do not reconnect
constexpr int kCloseTooManyPages = 4429;   // close another tab first

// Closes `socket` now, telling the client `code` and `reason` (cut to the
// 123 bytes a close frame can carry).
int close_with(lws* socket, int code, std::string_view reason) {
  std::string text(reason.substr(0, 123));
  lws_close_reason(socket, static_cast<lws_close_status>(code),
                   reinterpret_cast<unsigned char*>(text.data()), text.size());
  return -1;
}

int32_t page_argument(lws* socket) {
  char buffer[32];
  const char* value = lws_get_urlarg_by_name(socket, "page=", buffer, sizeof(buffer));
  if (!value) return -1;
  int32_t page = -1;
  const char* end = value + std::strlen(value);
  const auto [rest, error] = std::from_chars(value, end, page);
  return error == std::errc() && rest == end && page >= 0 ? page : -1;
}

int open(SessionHost& host, lws* socket, Connection*& connection) {
  char uri[256];
  const int length = lws_hdr_copy(socket, uri, sizeof(uri), WSI_TOKEN_GET_URI);
  const std::string_view path(uri, std::max(length, 0));
  constexpr std::string_view kPrefix = "/live/";
  if (!path.starts_with(kPrefix)) {
    return close_with(socket, kCloseUnknownCode,
                      "no WebSocket here; a participant's page connects to /live/<code>");
  }
  const std::optional<Seat> seat = host.find(path.substr(kPrefix.size()));
  if (!seat) return close_with(socket, kCloseUnknownCode, "unknown participant code");
  auto* opened = new Connection(socket, *seat, host.limits());
  if (Status status = host.attach(*opened, page_argument(socket)); !status.ok()) {
    delete opened;
    return close_with(socket, kCloseTooManyPages, status.message());
  }
  connection = opened;
  return 0;
}

int receive(SessionHost& host, lws* socket, Connection& connection, const char* in, size_t len) {
  // A message may arrive in several fragments and each in several chunks;
  // its size is checked before any of it is kept past the limit.
  if (connection.incoming.empty()) connection.incoming_binary = lws_frame_is_binary(socket);
  const size_t max = host.limits().max_frame_bytes;
  if (connection.incoming.size() + len + lws_remaining_packet_payload(socket) > max) {
    return close_with(socket, kCloseMessageTooBig,
                      "message over " + std::to_string(max) + " bytes");
  }
  connection.incoming.append(in, len);
  if (!lws_is_final_fragment(socket)) return 0;
  if (connection.incoming_binary) {
    host.refuse(connection, "binary frames are not accepted; send JSON text frames");
  } else {
    host.receive(connection, connection.incoming, wall_clock_ms(), monotonic_ms());
  }
  connection.incoming.clear();
  return 0;
}

// Writes queued frames until the queue is empty or the socket would block.
// One frame per writable callback would cost a whole poll over every socket
// per frame: a participant who is sent three broadcasts in one turn would
// wait three turns (and three commits) for the last (docs/performance.md).
// lws_send_pipe_choked() is lws's way to ask whether another write in the
// same callback goes straight to the kernel.
int write_next(lws* socket, Connection& connection) {
  if (connection.close_code != 0) {
    return close_with(socket, connection.close_code, connection.close_reason);
  }
  while (!connection.outgoing.empty()) {
    const Frame& frame = connection.outgoing.front();
    const size_t size = frame_text(frame).size();
    if (lws_write(socket, frame_start(frame), size, LWS_WRITE_TEXT) < static_cast<int>(size)) {
      return -1;
    }
    connection.outgoing.pop();
    if (lws_send_pipe_choked(socket)) break;
  }
  if (!connection.outgoing.empty()) lws_callback_on_writable(socket);
  return 0;
}

}  // namespace

int on_websocket(SessionHost& host, lws* socket, lws_callback_reasons reason,
                 Connection*& connection, void* in, size_t len) {
  switch (reason) {
    case LWS_CALLBACK_ESTABLISHED:
      return open(host, socket, connection);
    case LWS_CALLBACK_RECEIVE:
      if (!connection) return -1;
      return receive(host, socket, *connection, static_cast<const char*>(in), len);
    case LWS_CALLBACK_SERVER_WRITEABLE:
      if (!connection) return 0;
      return write_next(socket, *connection);
    case LWS_CALLBACK_CLOSED:
      if (connection) {
        host.detach(*connection);
        delete connection;
        connection = nullptr;
      }
      return 0;
    default:
      return 0;
  }
}

}  // namespace livectl::server
