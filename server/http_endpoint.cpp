// Participants' pages and live.js over HTTP (docs/protocol.md, "URLs").
#include <charconv>
#include <cstring>
#include <string_view>
#include <vector>

#include "server/assets.h"
#include "server/endpoints.h"

namespace livectl::server {

namespace {

// A submit form holds one small field; anything much longer is not ours.
constexpr size_t kMaxFormBytes = 4096;

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

int start_request(SessionHost& host, lws* socket, HttpExchange& exchange, std::string_view path) {
  const bool post = lws_hdr_total_length(socket, WSI_TOKEN_POST_URI) > 0;
  constexpr std::string_view kPagePrefix = "/p/";
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
  if (post) return 0;  // the body is read, then answered 404
  if (path == "/live.js") {
    const std::optional<std::string_view> script = embedded_file("server/live.js");
    ready(exchange, 200, "text/javascript; charset=utf-8", std::string(*script));
    return 0;
  }
  not_found(exchange, "There is no page at this address. Check the link you were given.");
  return 0;
}

void finish_post(SessionHost& host, HttpExchange& exchange) {
  if (exchange.request != HttpExchange::Request::kSubmit || exchange.seat.participant == 0) {
    not_found(exchange, "There is no page at this address. Check the link you were given.");
    return;
  }
  if (exchange.form.size() > kMaxFormBytes) {
    ready(exchange, 413, kText, "the form is over " + std::to_string(kMaxFormBytes) + " bytes\n");
    return;
  }
  const int32_t page = form_page(exchange.form);
  if (page < 0) {
    ready(exchange, 400, kText, "the form must have page=<index of the page being submitted>\n");
    return;
  }
  host.submit(exchange.seat, page, wall_clock_ms());
  host.await_turn_end(exchange);
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
      if (exchange && exchange->form.size() <= kMaxFormBytes) {
        exchange->form.append(static_cast<const char*>(in),
                              std::min(len, kMaxFormBytes + 1 - exchange->form.size()));
      }
      return 0;
    case LWS_CALLBACK_HTTP_BODY_COMPLETION:
      if (exchange) finish_post(host, *exchange);
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
