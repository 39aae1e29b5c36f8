// The WebSocket at /live/<code>[?page=N] (docs/protocol.md, "WebSocket").
#include <algorithm>
#include <charconv>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

#include "engine/text.h"
#include "server/endpoints.h"
#include "server/socket_tap.h"

namespace livectl::server {

namespace {

// WebSocket close codes this endpoint sends, with what a client should do.
constexpr int kCloseProtocolError = 1002;  // the client broke RFC 6455
constexpr int kCloseMessageTooBig = 1009;  // do not resend it
constexpr int kCloseServerFailed = 1011;   // the session is offline (SessionHost::end_turn)
constexpr int kCloseUnknownCode = 4404;    // the link is wrong; do not reconnect
constexpr int kCloseTooManyPages = 4429;   // close another tab first

// The only version of the protocol there is (RFC 6455 §4.4).
constexpr std::string_view kWebSocketVersion = "13";

// Closes `socket` now, telling the client `code` and `reason` (cut to the
// 123 bytes a close frame can carry, on a character boundary).
int close_with(lws* socket, int code, std::string_view reason) {
  std::string text(cut_utf8(reason, 123));
  lws_close_reason(socket, static_cast<lws_close_status>(code),
                   reinterpret_cast<unsigned char*>(text.data()), text.size());
  return -1;
}

// The value of the URL argument `name` (?name=value), %-decoded, or nullopt
// when there is none; a bare ?name gives "". Each argument is one fragment
// of lws's URI_ARGS header.
std::optional<std::string> url_argument(lws* socket, std::string_view name) {
  for (int index = 0;; ++index) {
    const int length = lws_hdr_fragment_length(socket, WSI_TOKEN_HTTP_URI_ARGS, index);
    std::string argument(static_cast<size_t>(std::max(length, 0)) + 1, '\0');
    const int copied = lws_hdr_copy_fragment(
        socket, argument.data(), static_cast<int>(argument.size()), WSI_TOKEN_HTTP_URI_ARGS, index);
    if (copied < 0) return std::nullopt;  // no more arguments
    argument.resize(static_cast<size_t>(copied));
    if (argument == name) return std::string();
    if (argument.size() > name.size() && argument.starts_with(name) &&
        argument[name.size()] == '=') {
      return argument.substr(name.size() + 1);
    }
  }
}

// The ?page= argument: a page index, SessionHost::kPageNotNamed when there
// is none, or SessionHost::kNotAPageIndex when it is something else
// (-1, abc, 2^66, empty).
int32_t page_argument(lws* socket) {
  const std::optional<std::string> value = url_argument(socket, "page");
  if (!value) return SessionHost::kPageNotNamed;
  int32_t page = -1;
  const auto [rest, error] = std::from_chars(value->data(), value->data() + value->size(), page);
  const bool index_ok =
      !value->empty() && error == std::errc() && rest == value->data() + value->size() && page >= 0;
  return index_ok ? page : SessionHost::kNotAPageIndex;
}

// The ?after= argument: the last delivery number the page handled; nullopt
// when there is none or it is not a number from 0.
std::optional<uint64_t> after_argument(lws* socket) {
  const std::optional<std::string> value = url_argument(socket, "after");
  if (!value || value->empty()) return std::nullopt;
  uint64_t after = 0;
  const auto [rest, error] = std::from_chars(value->data(), value->data() + value->size(), after);
  if (error != std::errc() || rest != value->data() + value->size()) return std::nullopt;
  return after;
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
  // "/live/<a>%2f..%2f<b>" reaches here as "/live/<b>" (socket_tap.h).
  const std::optional<Seat> seat = sent_path_not_written_out(lws_get_socket_fd(socket))
                                       ? std::nullopt
                                       : host.find(path.substr(kPrefix.size()));
  if (!seat) return close_with(socket, kCloseUnknownCode, "unknown participant code");
  auto* opened = new Connection(socket, *seat, host.limits());
  if (Status status = host.attach(*opened, page_argument(socket), after_argument(socket));
      !status.ok()) {
    delete opened;
    const bool offline = host.offline_reason(seat->session).has_value();
    return close_with(socket, offline ? kCloseServerFailed : kCloseTooManyPages, status.message());
  }
  connection = opened;
  watch_client_frames(lws_get_socket_fd(socket));
  return 0;
}

int receive(SessionHost& host, lws* socket, Connection& connection, const char* in, size_t len) {
  if (sent_unmasked_frame(lws_get_socket_fd(socket))) {
    return close_with(socket, kCloseProtocolError,
                      "client frames must be masked (RFC 6455, section 5.1)");
  }
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
    host.receive(connection, connection.incoming, monotonic_ms());
  }
  connection.incoming.clear();
  return 0;
}

// How many bytes of queued frames one write hands to lws at most (and lws
// to the kernel, kProtocols' tx_packet_size): a queue that grew while its
// page read slowly is written in pieces, the rest staying in the bounded
// outgoing queue instead of lws's unbounded buffer.
constexpr size_t kMaxWriteBytes = 64 * 1024;

// The bytes of an unmasked, final text frame's header for a payload of
// `size` bytes (RFC 6455 section 5.2), written at `out`; returns its length.
size_t put_text_header(size_t size, unsigned char* out) {
  out[0] = 0x81;  // FIN, text
  if (size < 126) {
    out[1] = static_cast<unsigned char>(size);
    return 2;
  }
  if (size <= 0xffff) {
    out[1] = 126;
    out[2] = static_cast<unsigned char>(size >> 8);
    out[3] = static_cast<unsigned char>(size);
    return 4;
  }
  out[1] = 127;
  for (int i = 0; i < 8; ++i)
    out[2 + i] = static_cast<unsigned char>(uint64_t{size} >> (56 - 8 * i));
  return 10;
}

// Writes the queued frames, up to kMaxWriteBytes of them, in one send:
// each frame is framed here and the lot goes to lws as raw bytes, so that
// a page sent three frames in one turn costs one system call, not three
// plus a writability poll after each (docs/performance.md). lws keeps
// what the kernel does not take (lws_partial_buffered) and asks for a
// writable callback, which writes the rest; until then the socket counts
// as waiting (SessionHost::close_stalled). Returns -1 when the socket failed.
int write_queued(lws* socket, Connection& connection) {
  // A write is progress: whatever lws held has left.
  connection.waiting_since_ms = monotonic_ms();
  thread_local std::string batch;
  batch.assign(LWS_PRE, '\0');
  while (!connection.outgoing.empty()) {
    const std::string_view text = frame_text(connection.outgoing.front());
    const size_t at = batch.size();
    if (at > LWS_PRE && at - LWS_PRE + text.size() > kMaxWriteBytes) break;
    batch.resize(at + 10 + text.size());
    auto* out = reinterpret_cast<unsigned char*>(batch.data()) + at;
    const size_t header = put_text_header(text.size(), out);
    std::memcpy(out + header, text.data(), text.size());
    batch.resize(at + header + text.size());
    connection.outgoing.pop();
  }
  const size_t size = batch.size() - LWS_PRE;
  // LWS_WRITE_HTTP: bytes as they are, already framed.
  if (size > 0 && lws_write(socket, reinterpret_cast<unsigned char*>(batch.data()) + LWS_PRE, size,
                            LWS_WRITE_HTTP) < static_cast<int>(size)) {
    return -1;
  }
  connection.wrote = true;
  connection.choked = lws_partial_buffered(socket);
  if (!connection.outgoing.empty() || connection.choked) lws_callback_on_writable(socket);
  return 0;
}

}  // namespace

int confirm_upgrade(lws* socket) {
  char version[16];
  const int length = lws_hdr_copy(socket, version, sizeof(version), WSI_TOKEN_VERSION);
  if (length > 0 && std::string_view(version, static_cast<size_t>(length)) == kWebSocketVersion) {
    return 0;
  }
  // lws 4.1 would log the version and go on as if it were 13: answer as
  // RFC 6455 §4.4 says, 426 naming the version this server speaks.
  static constexpr std::string_view kBody =
      "this server speaks WebSocket version 13 only (Sec-WebSocket-Version: 13)\n";
  unsigned char buffer[LWS_PRE + 512];
  unsigned char* start = buffer + LWS_PRE;
  unsigned char* p = start;
  unsigned char* end = buffer + sizeof(buffer) - 1;
  if (lws_add_http_common_headers(socket, 426, "text/plain; charset=utf-8", kBody.size(), &p,
                                  end) ||
      lws_add_http_header_by_name(socket,
                                  reinterpret_cast<const unsigned char*>("sec-websocket-version:"),
                                  reinterpret_cast<const unsigned char*>(kWebSocketVersion.data()),
                                  static_cast<int>(kWebSocketVersion.size()), &p, end) ||
      lws_add_http_header_by_name(socket, reinterpret_cast<const unsigned char*>("upgrade:"),
                                  reinterpret_cast<const unsigned char*>("websocket"), 9, &p,
                                  end) ||
      lws_finalize_write_http_header(socket, start, &p, end)) {
    return -1;
  }
  std::string body(LWS_PRE, '\0');
  body += kBody;
  if (lws_write(socket, reinterpret_cast<unsigned char*>(body.data()) + LWS_PRE, kBody.size(),
                LWS_WRITE_HTTP_FINAL) < static_cast<int>(kBody.size())) {
    return -1;
  }
  return 1;
}

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
      if (connection->close_code != 0) {
        return close_with(socket, connection->close_code, connection->close_reason);
      }
      return write_queued(socket, *connection);
    case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
      // lws answers the close; nothing may be written after it.
      if (connection) connection->peer_closed = true;
      return 0;
    case LWS_CALLBACK_CLOSED:
      if (connection) {
        unwatch(lws_get_socket_fd(socket));
        host.detach(*connection);
        delete connection;
        connection = nullptr;
      }
      return 0;
    default:
      return 0;
  }
}

void write_now(lws* socket, Connection& connection) {
  // A closing connection writes its close frame from the writable
  // callback, which was asked for (SessionHost::close); a socket lws still
  // holds bytes for is written again from there too.
  if (connection.close_code != 0 || connection.peer_closed || lws_partial_buffered(socket)) return;
  if (write_queued(socket, connection) < 0) {
    // The peer is gone (the send failed): lws closes the socket at its next
    // service, which detaches the connection.
    connection.outgoing.clear();
    lws_set_timeout(socket, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
  }
}

}  // namespace livectl::server
