// Participants' pages and live.js over HTTP (docs/protocol.md, "URLs"), and
// the admin pages' requests handed to server/admin.h.
#include <algorithm>
#include <charconv>
#include <cstring>
#include <string_view>
#include <vector>

#include "server/admin.h"
#include "server/admin_auth.h"
#include "server/assets.h"
#include "server/endpoints.h"
#include "server/room.h"
#include "server/socket_tap.h"

namespace livectl::server {

namespace {

// An admin form holds a few small fields; anything much longer is not ours.
constexpr size_t kMaxFormBytes = 4096;
// A participant's page may have form fields: a text field takes up to
// 10000 bytes (engine/form.h), which %-encoding makes up to 30000; 64 KiB
// is two of those, and small enough to hold for every open request.
constexpr size_t kMaxSubmitBytes = 64 * 1024;

// The most of a request's body that is kept (one byte more is refused).
size_t max_body_bytes(const HttpExchange& exchange) {
  return exchange.request == HttpExchange::Request::kSubmit ? kMaxSubmitBytes : kMaxFormBytes;
}

constexpr const char* kHtml = "text/html; charset=utf-8";
constexpr const char* kText = "text/plain; charset=utf-8";

void ready(HttpExchange& exchange, int status, const char* content_type, std::string body) {
  exchange.status = status;
  exchange.content_type = content_type;
  exchange.body = std::move(body);
  lws_callback_on_writable(exchange.socket);
}

std::string message_page(std::string_view title, std::string_view text) {
  return "<!DOCTYPE html>\n<html lang=\"en\">\n<head><meta charset=\"utf-8\"><title>" +
         std::string(title) + "</title></head>\n<body>\n<h1>" + std::string(title) + "</h1>\n<p>" +
         std::string(text) + "</p>\n</body>\n</html>\n";
}

void not_found(HttpExchange& exchange, std::string_view text) {
  ready(exchange, 404, kHtml, message_page("Not found", text));
}

// The value of `page` in an application/x-www-form-urlencoded body; -1 when
// it is missing or not a non-negative integer.
int32_t form_page(std::string_view form) {
  while (!form.empty()) {
    const size_t end = std::min(form.find('&'), form.size());
    const std::string_view pair = form.substr(0, end);
    form.remove_prefix(std::min(end + 1, form.size()));
    if (!pair.starts_with("page=")) continue;
    const std::string_view value = pair.substr(5);
    int32_t page = -1;
    const auto [rest, error] = std::from_chars(value.data(), value.data() + value.size(), page);
    return error == std::errc() && rest == value.data() + value.size() && page >= 0 ? page : -1;
  }
  return -1;
}

// A request header's value; empty when absent. A header sent more than
// once reads as its values joined by ',' (lws_hdr_copy).
std::string header(lws* socket, lws_token_indexes token) {
  const int length = lws_hdr_total_length(socket, token);
  if (length <= 0) return {};
  std::string value(static_cast<size_t>(length) + 1, '\0');
  const int copied = lws_hdr_copy(socket, value.data(), length + 1, token);
  value.resize(copied > 0 ? static_cast<size_t>(copied) : 0);
  return value;
}

// A header lws has no token for ("sec-fetch-site:"); empty when absent.
std::string custom_header(lws* socket, const char* name_with_colon) {
  const int name_length = static_cast<int>(std::strlen(name_with_colon));
  const int length = lws_hdr_custom_length(socket, name_with_colon, name_length);
  if (length <= 0) return {};
  std::string value(static_cast<size_t>(length) + 1, '\0');
  const int copied =
      lws_hdr_custom_copy(socket, value.data(), length + 1, name_with_colon, name_length);
  value.resize(copied > 0 ? static_cast<size_t>(copied) : 0);
  return value;
}

// Every value of a header sent once or more, in order, without the
// spaces around it (lws keeps each line as one fragment, and starts a
// repeated one with a space).
std::vector<std::string> header_values(lws* socket, lws_token_indexes token) {
  std::vector<std::string> values;
  for (int index = 0;; ++index) {
    const int length = lws_hdr_fragment_length(socket, token, index);
    std::string value(static_cast<size_t>(std::max(length, 0)) + 1, '\0');
    const int copied =
        lws_hdr_copy_fragment(socket, value.data(), static_cast<int>(value.size()), token, index);
    if (copied < 0) return values;
    value.resize(static_cast<size_t>(copied));
    const size_t first = value.find_first_not_of(" \t");
    const size_t last = value.find_last_not_of(" \t");
    values.push_back(first == std::string::npos ? std::string()
                                                : value.substr(first, last - first + 1));
  }
}

// ---- answers that end the connection ----

// Writes a whole plain-text response now and asks lws to close the
// connection (the return value for the callback). For requests whose
// framing is in doubt: nothing after them on the connection is read.
// `allow`, when given, is the Allow header of a 405.
int answer_and_close(lws* socket, int status, std::string_view text, const char* allow = nullptr) {
  unsigned char buffer[LWS_PRE + 512];
  unsigned char* start = buffer + LWS_PRE;
  unsigned char* p = start;
  unsigned char* end = buffer + sizeof(buffer) - 1;
  auto add = [&](const char* name, std::string_view value) {
    return lws_add_http_header_by_name(socket, reinterpret_cast<const unsigned char*>(name),
                                       reinterpret_cast<const unsigned char*>(value.data()),
                                       static_cast<int>(value.size()), &p, end);
  };
  // lws_add_http_common_headers would promise keep-alive; this one closes.
  if (lws_add_http_header_status(socket, static_cast<unsigned int>(status), &p, end) ||
      add("content-type:", kText) || add("content-length:", std::to_string(text.size())) ||
      add("connection:", "close") || (allow && add("allow:", allow)) ||
      lws_finalize_write_http_header(socket, start, &p, end)) {
    return -1;
  }
  std::string body(LWS_PRE, '\0');
  body += text;
  lws_write(socket, reinterpret_cast<unsigned char*>(body.data()) + LWS_PRE, text.size(),
            LWS_WRITE_HTTP_FINAL);
  return -1;
}

bool all_digits(std::string_view text) {
  return !text.empty() &&
         std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// RFC 9112 §6: a request whose body two readers could frame differently is
// refused, so that no second request can hide in it (request smuggling).
// lws 4.1 reads a Content-Length sent twice as the first of its values and
// does not read chunked request bodies at all. Returns the callback's
// value when the request was refused, 0 when it may go on.
int refuse_bad_framing(lws* socket) {
  const std::vector<std::string> lengths = header_values(socket, WSI_TOKEN_HTTP_CONTENT_LENGTH);
  const bool chunked = !header_values(socket, WSI_TOKEN_HTTP_TRANSFER_ENCODING).empty();
  if (chunked && !lengths.empty()) {
    return answer_and_close(socket, 400,
                            "the request has both Transfer-Encoding and Content-Length\n");
  }
  for (const std::string& length : lengths) {
    if (!all_digits(length)) {
      return answer_and_close(socket, 400, "the request's Content-Length is not a number\n");
    }
    if (length != lengths.front()) {
      return answer_and_close(socket, 400, "the request has two different Content-Lengths\n");
    }
  }
  const bool post = lws_hdr_total_length(socket, WSI_TOKEN_POST_URI) > 0;
  if (chunked || (post && lengths.empty())) {
    // Without a length, the end of the body is the end of the connection,
    // which a client keeping it open would wait for.
    return answer_and_close(socket, 411, "send the form with a Content-Length header\n");
  }
  return 0;
}

// The request's method when it is one this server never serves (PUT,
// DELETE, ...); nullptr for GET and POST.
const char* refused_method(lws* socket) {
  static constexpr struct {
    lws_token_indexes token;
    const char* name;
  } kOthers[] = {{WSI_TOKEN_PUT_URI, "PUT"},       {WSI_TOKEN_PATCH_URI, "PATCH"},
                 {WSI_TOKEN_DELETE_URI, "DELETE"}, {WSI_TOKEN_OPTIONS_URI, "OPTIONS"},
                 {WSI_TOKEN_HEAD_URI, "HEAD"},     {WSI_TOKEN_CONNECT, "CONNECT"}};
  for (const auto& other : kOthers) {
    if (lws_hdr_total_length(socket, other.token) > 0) return other.name;
  }
  return nullptr;
}

// ---- admin pages (server/admin.h) ----

// The admin pages of `host`, when it has them and `path` is theirs.
Admin* admin_for(SessionHost& host, std::string_view path) {
  return host.admin() && Admin::is_admin_path(path) ? host.admin() : nullptr;
}

// Answers an admin request at once: the admin commits what the turn applied
// so far before it reads anything (Admin::handle).
void answer_admin(Admin& admin, lws* socket, HttpExchange& exchange, std::string_view path,
                  bool post) {
  const std::string authorization = header(socket, WSI_TOKEN_HTTP_AUTHORIZATION);
  const std::string host_header = header(socket, WSI_TOKEN_HOST);
  const std::string origin = header(socket, WSI_TOKEN_ORIGIN);
  const std::string referer = header(socket, WSI_TOKEN_HTTP_REFERER);
  const std::string fetch_site = custom_header(socket, "sec-fetch-site:");
  AdminRequest request;
  request.post = post;
  request.path = path;
  request.authorization = authorization;
  request.host = host_header;
  request.origin = origin;
  request.referer = referer;
  request.fetch_site = fetch_site;
  request.form = exchange.form;
  AdminResponse response = admin.handle(request, monotonic_ms());
  exchange.location = std::move(response.location);
  ready(exchange, response.status, response.content_type, std::move(response.body));
}

// ---- rooms (server/room.h) ----

// The value of `name` in the request's query, %-decoded by lws; nullopt
// when absent. (lws keeps each name=value of the query as one fragment.)
std::optional<std::string> query_value(lws* socket, std::string_view name) {
  for (int index = 0;; ++index) {
    const int length = lws_hdr_fragment_length(socket, WSI_TOKEN_HTTP_URI_ARGS, index);
    std::string pair(static_cast<size_t>(std::max(length, 0)) + 1, '\0');
    const int copied = lws_hdr_copy_fragment(socket, pair.data(), static_cast<int>(pair.size()),
                                             WSI_TOKEN_HTTP_URI_ARGS, index);
    if (copied < 0) return std::nullopt;
    pair.resize(static_cast<size_t>(copied));
    if (pair.size() > name.size() && pair.starts_with(name) && pair[name.size()] == '=') {
      return pair.substr(name.size() + 1);
    }
  }
}

// Answers a GET of a room path: at once, or, for a participant sent to
// their page, at the end of the turn (after their arrival is committed).
void answer_room(SessionHost& host, Room& room, lws* socket, HttpExchange& exchange,
                 std::string_view path) {
  const std::string cookie = header(socket, WSI_TOKEN_HTTP_COOKIE);
  RoomAnswer answer = room.handle({path, query_value(socket, "participant_label"), cookie});
  exchange.set_cookie = std::move(answer.set_cookie);
  if (answer.seat) {
    exchange.request = HttpExchange::Request::kRoom;
    exchange.seat = *answer.seat;
    host.await_turn_end(exchange);
    return;
  }
  ready(exchange, answer.status, answer.content_type, std::move(answer.body));
}

// ---- routing ----

// GET /_livectl/route?path=/p/CODE (or /live/CODE): which process runs the
// participant's session, for a proxy in front of several (docs/protocol.md,
// "Several processes"). 200 with X-Livectl-Node: the node to send the
// request to (this one for a participant it runs, and for a path that names
// no participant: it answers those itself); 503 while nobody runs the
// session (its process died and the takeover has not happened yet).
void answer_route(SessionHost& host, lws* socket, HttpExchange& exchange) {
  std::string code;
  if (const std::optional<std::string> asked = query_value(socket, "path")) {
    for (std::string_view prefix : {"/p/", "/live/"}) {
      if (asked->starts_with(prefix)) {
        code = asked->substr(prefix.size());
        code = code.substr(0, code.find_first_of("/?"));
      }
    }
  }
  exchange.node = host.node_name();
  if (code.empty() || host.find(code) || !host.router()) {
    ready(exchange, 200, kText, "here\n");
    return;
  }
  std::optional<std::string> node;
  if (Status status = host.router()(code, &node); !status.ok()) {
    exchange.node.clear();
    ready(exchange, 500, kText, status.message() + "\n");
    return;
  }
  if (node && node->empty()) {
    exchange.node.clear();
    ready(exchange, 503, kText, "this participant's session is being taken over; try again\n");
    return;
  }
  if (node) exchange.node = *node;
  ready(exchange, 200, kText, node ? "there\n" : "here\n");
}

int start_request(SessionHost& host, lws* socket, HttpExchange& exchange, std::string_view path) {
  if (const int refused = refuse_bad_framing(socket)) return refused;
  // lws hands over the path %-decoded and with "." and ".." resolved:
  // "/p/<a>/..%2f<b>" arrives as "/p/<b>". A path names only what it says.
  if (sent_path_not_written_out(lws_get_socket_fd(socket))) {
    return answer_and_close(socket, 404,
                            "There is no page at this address. Check the link you were given.\n");
  }
  constexpr std::string_view kPagePrefix = "/p/";
  if (const char* method = refused_method(socket)) {
    const bool page = path.starts_with(kPagePrefix) || admin_for(host, path);
    if (page || path == "/live.js" || (host.room() && Room::is_room_path(path))) {
      return answer_and_close(socket, 405,
                              std::string(method) + " is not allowed here; use " +
                                  (page ? "GET or POST" : "GET") + "\n",
                              page ? "GET, POST" : "GET");
    }
    return answer_and_close(socket, 404,
                            "There is no page at this address. Check the link you were given.\n");
  }
  const bool post = lws_hdr_total_length(socket, WSI_TOKEN_POST_URI) > 0;
  if (path == "/_livectl/route" && !post) {
    answer_route(host, socket, exchange);
    return 0;
  }
  if (Admin* admin = admin_for(host, path)) {
    if (!post) answer_admin(*admin, socket, exchange, path, false);
    return 0;  // a POST is answered when its body is complete
  }
  if (path.starts_with(kPagePrefix)) {
    const std::optional<Seat> seat = host.find(path.substr(kPagePrefix.size()));
    exchange.request = post ? HttpExchange::Request::kSubmit : HttpExchange::Request::kPage;
    if (seat) exchange.seat = *seat;
    if (post) return 0;  // answered when the body is complete
    if (!seat) {
      not_found(exchange, "No participant has this code. Check the link you were given.");
    } else {
      host.await_turn_end(exchange);
    }
    return 0;
  }
  const bool room = host.room() && Room::is_room_path(path);
  if (post && (path == "/live.js" || room)) {
    return answer_and_close(socket, 405, "POST is not allowed here; use GET\n", "GET");
  }
  if (post) return 0;  // the body is read, then answered 404
  if (room) {
    answer_room(host, *host.room(), socket, exchange, path);
    return 0;
  }
  if (path == "/live.js") {
    const std::optional<std::string_view> script = embedded_file("server/live.js");
    ready(exchange, 200, "text/javascript; charset=utf-8", std::string(*script));
    return 0;
  }
  not_found(exchange, "There is no page at this address. Check the link you were given.");
  return 0;
}

void finish_post(SessionHost& host, lws* socket, HttpExchange& exchange) {
  if (exchange.request == HttpExchange::Request::kNone) {
    // lws keeps the request's headers until it is answered, so the path is
    // read again here rather than kept in the exchange.
    const std::string path = header(socket, WSI_TOKEN_POST_URI);
    if (Admin* admin = admin_for(host, path)) {
      if (exchange.form.size() > kMaxFormBytes) {
        ready(exchange, 413, kText,
              "the form is over " + std::to_string(kMaxFormBytes) + " bytes\n");
      } else {
        answer_admin(*admin, socket, exchange, path, true);
      }
      return;
    }
  }
  if (exchange.request != HttpExchange::Request::kSubmit || exchange.seat.participant == 0) {
    not_found(exchange, "There is no page at this address. Check the link you were given.");
    return;
  }
  if (exchange.form.size() > kMaxSubmitBytes) {
    ready(exchange, 413, kText, "the form is over " + std::to_string(kMaxSubmitBytes) + " bytes\n");
    return;
  }
  const int32_t page = form_page(exchange.form);
  if (page < 0) {
    ready(exchange, 400, kText, "the form must have page=<index of the page being submitted>\n");
    return;
  }
  host.submit_form(exchange, page);
}

// The admin pages' own response headers, told by what only they send: a
// 401 asks for the password, a ZIP is a download. Nonzero when they do not
// fit, as lws_add_http_header_by_name.
int add_admin_headers(lws* socket, const HttpExchange& exchange, unsigned char** p,
                      unsigned char* end) {
  auto add = [&](const char* name, std::string_view value) {
    return lws_add_http_header_by_name(socket, reinterpret_cast<const unsigned char*>(name),
                                       reinterpret_cast<const unsigned char*>(value.data()),
                                       static_cast<int>(value.size()), p, end);
  };
  if (exchange.status == 401 && add("www-authenticate:", kAdminChallenge)) return 1;
  if (exchange.content_type && std::string_view(exchange.content_type) == kAdminDownload &&
      add("content-disposition:", "attachment")) {
    return 1;
  }
  return 0;
}

// Headers in one writable callback and the body in the next, as lws asks
// (one write per callback).
int write_response(lws* socket, HttpExchange& exchange) {
  if (exchange.status == 0) return 0;
  if (!exchange.headers_sent) {
    unsigned char buffer[LWS_PRE + 1024];
    unsigned char* start = buffer + LWS_PRE;
    unsigned char* p = start;
    unsigned char* end = buffer + sizeof(buffer) - 1;
    static constexpr std::string_view kNoStore = "no-store";  // a page is always current state
    if (lws_add_http_common_headers(socket, exchange.status, exchange.content_type,
                                    exchange.body.size(), &p, end) ||
        lws_add_http_header_by_token(socket, WSI_TOKEN_HTTP_CACHE_CONTROL,
                                     reinterpret_cast<const unsigned char*>(kNoStore.data()),
                                     static_cast<int>(kNoStore.size()), &p, end) ||
        (!exchange.location.empty() &&
         lws_add_http_header_by_token(
             socket, WSI_TOKEN_HTTP_LOCATION,
             reinterpret_cast<const unsigned char*>(exchange.location.data()),
             static_cast<int>(exchange.location.size()), &p, end)) ||
        add_admin_headers(socket, exchange, &p, end) ||
        (!exchange.set_cookie.empty() &&
         lws_add_http_header_by_token(
             socket, WSI_TOKEN_HTTP_SET_COOKIE,
             reinterpret_cast<const unsigned char*>(exchange.set_cookie.data()),
             static_cast<int>(exchange.set_cookie.size()), &p, end)) ||
        (!exchange.node.empty() &&
         lws_add_http_header_by_name(socket,
                                     reinterpret_cast<const unsigned char*>("x-livectl-node:"),
                                     reinterpret_cast<const unsigned char*>(exchange.node.data()),
                                     static_cast<int>(exchange.node.size()), &p, end)) ||
        lws_finalize_write_http_header(socket, start, &p, end)) {
      return 1;
    }
    exchange.headers_sent = true;
    lws_callback_on_writable(socket);
    return 0;
  }
  std::vector<unsigned char> body(LWS_PRE + exchange.body.size());
  std::memcpy(body.data() + LWS_PRE, exchange.body.data(), exchange.body.size());
  if (lws_write(socket, body.data() + LWS_PRE, exchange.body.size(), LWS_WRITE_HTTP_FINAL) <
      static_cast<int>(exchange.body.size())) {
    return 1;
  }
  exchange.reset();
  return lws_http_transaction_completed(socket) ? -1 : 0;
}

}  // namespace

int answer_internal_error(lws* socket, const HttpExchange* exchange, std::string_view what) {
  if (exchange && exchange->headers_sent)
    return -1;  // half a response: closing is all that is left
  return answer_and_close(socket, 500, "internal error: " + std::string(what) + "\n");
}

int on_http(SessionHost& host, lws* socket, lws_callback_reasons reason, HttpExchange*& exchange,
            void* in, size_t len) {
  switch (reason) {
    case LWS_CALLBACK_HTTP:
      if (!exchange) {
        exchange = new HttpExchange(socket);
      } else {
        host.forget(*exchange);
        exchange->reset();
      }
      return start_request(host, socket, *exchange, static_cast<const char*>(in));
    case LWS_CALLBACK_HTTP_BODY:
      // Kept up to one byte past the limit, which is then refused.
      if (exchange && exchange->form.size() <= max_body_bytes(*exchange)) {
        exchange->form.append(static_cast<const char*>(in),
                              std::min(len, max_body_bytes(*exchange) + 1 - exchange->form.size()));
      }
      return 0;
    case LWS_CALLBACK_HTTP_BODY_COMPLETION:
      if (exchange) finish_post(host, socket, *exchange);
      return 0;
    case LWS_CALLBACK_HTTP_WRITEABLE:
      return exchange ? write_response(socket, *exchange) : 0;
    case LWS_CALLBACK_CLOSED_HTTP:
    case LWS_CALLBACK_HTTP_DROP_PROTOCOL:
      if (exchange) {
        host.forget(*exchange);
        delete exchange;
        exchange = nullptr;
      }
      return 0;
    default:
      return 0;
  }
}

}  // namespace livectl::server
