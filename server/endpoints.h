#pragma once
// The two halves of the lws protocol callback (server.cpp dispatches by
// reason): participants' HTTP pages and live.js, and the WebSocket at
// /live/<code>. Each returns what the lws callback returns: 0 to go on,
// nonzero to close the connection.
#include <libwebsockets.h>

#include "server/connection.h"
#include "server/session_host.h"

namespace livectl::server {

// `exchange` is the socket's slot: created on its first request, deleted
// when the socket closes.
int on_http(SessionHost& host, lws* socket, lws_callback_reasons reason, HttpExchange*& exchange,
            void* in, size_t len);

// `connection` is the socket's slot: created when the WebSocket opens,
// deleted when it closes.
int on_websocket(SessionHost& host, lws* socket, lws_callback_reasons reason,
                 Connection*& connection, void* in, size_t len);

// Writes `connection`'s queued frames now, outside any lws callback (the
// end of a turn, Server::wake): one send for all of them when the socket
// takes it. A socket that is closing, or that lws still holds bytes for,
// is left to its writable callback.
void write_now(lws* socket, Connection& connection);

// After a failure nothing else handled, inside an HTTP callback: a 500
// with `what` when no response has been started on the socket, then the
// connection closes. Returns the callback's value.
int answer_internal_error(lws* socket, const HttpExchange* exchange, std::string_view what);

// Answers a WebSocket upgrade request before lws accepts it
// (LWS_CALLBACK_HTTP_CONFIRM_UPGRADE): 0 to go on, 1 when a refusal was
// written (a Sec-WebSocket-Version other than 13 gets 426), -1 to hang up.
int confirm_upgrade(lws* socket);

}  // namespace livectl::server
