// The participants' connections and frames: connecting and reconnecting,
// reading frames, timing replies, and the closed loop's sends.
#include <algorithm>
#include <cstring>
#include <string_view>

#include "bench/load/generator.h"

namespace livectl::load {

namespace {

// A browser waits 0.25 s before reconnecting after a drop (live.js); so do we.
constexpr int64_t kReconnectDelayUs = 250'000;
// Close codes after which live.js does not reconnect (docs/protocol.md).
constexpr int kCloseMessageTooBig = 1009;
constexpr int kCloseUnknownCode = 4404;
constexpr int kCloseTooManyPages = 4429;
// A participant's sends waiting for replies, at most: an open loop against a
// server that stopped answering must not grow without bound.
constexpr size_t kMaxWaiting = 10'000;

// A live frame is this prefix, the delivery number, kLiveData, the payload
// and "}".
constexpr std::string_view kLivePrefix = R"({"type":"live","seq":)";
constexpr std::string_view kLiveData = R"(,"data":)";

int callback(lws* socket, lws_callback_reasons reason, void* user, void* in, size_t len) {
  auto* generator = static_cast<Generator*>(lws_context_user(lws_get_context(socket)));
  if (!generator) return 0;
  return generator->on_event(socket, reason, user, in, len);
}

}  // namespace

// No per-connection data from lws: each connection's user pointer is its
// Participant. 4096 bytes of receive buffer hold dozens of game frames; a
// larger frame arrives in pieces and is joined in Participant::incoming.
const lws_protocols kClientProtocols[] = {
    {"livectl-bench", callback, 0, 4096, 0, nullptr, 0},
    {nullptr, nullptr, 0, 0, 0, nullptr, 0},
};

// ---- connections ----

void Generator::connect(Participant& p) {
  p.path = "/live/" + p.served->code + "?page=" + std::to_string(p.page);
  p.moving = false;
  p.incoming.clear();
  p.outgoing.clear();
  // Sends of the page left behind get no reply on the new connection.
  if (measuring()) report_.unanswered += static_cast<int64_t>(p.waiting.size());
  p.waiting.clear();
  lws_client_connect_info info;
  std::memset(&info, 0, sizeof(info));
  info.context = context_;
  info.address = options_.host.c_str();
  info.port = options_.port;
  info.path = p.path.c_str();
  info.host = host_header_.c_str();
  info.origin = host_header_.c_str();
  // No subprotocol, as browsers connect; the server then picks its first.
  info.local_protocol_name = kClientProtocols[0].name;
  info.userdata = &p;
  info.opaque_user_data = &p;
  info.pwsi = &p.socket;
  p.link = Link::kConnecting;
  p.connect_started_us = now_us();
  ++connecting_;
  if (!lws_client_connect_via_info(&info) && p.link == Link::kConnecting) {
    on_connect_error(p, "the connection could not be started");
  }
}

void Generator::connect_later(Participant& p, int64_t delay_us) {
  to_connect_.emplace(now_us() + delay_us, static_cast<uint32_t>(&p - participants_.data()));
}

void Generator::pump_connects() {
  if (phase_ == Phase::kDone) return;
  const int64_t now = now_us();
  while (!to_connect_.empty() && connecting_ < options_.connect_concurrency &&
         to_connect_.top().first <= now) {
    Participant& p = participants_[to_connect_.top().second];
    to_connect_.pop();
    if (p.link == Link::kDown) connect(p);
  }
}

int Generator::on_event(lws* socket, lws_callback_reasons reason, void* user, void* in,
                        size_t len) {
  auto* p = static_cast<Participant*>(user ? user : lws_get_opaque_user_data(socket));
  if (!p) return 0;
  // One connection per participant at a time: a new one starts only once
  // the last is down, so the link state tells which events are current.
  switch (reason) {
    case LWS_CALLBACK_CLIENT_ESTABLISHED:
      if (p->link != Link::kConnecting) return -1;
      p->socket = socket;
      on_open(*p);
      return 0;
    case LWS_CALLBACK_CLIENT_RECEIVE:
      if (p->link != Link::kOpen) return 0;
      return on_receive(*p, static_cast<const char*>(in), len);
    case LWS_CALLBACK_CLIENT_WRITEABLE:
      if (p->link != Link::kOpen) return 0;
      return on_writable(*p);
    case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE: {
      // The close frame's payload: a 2-byte code, then the reason.
      const auto* bytes = static_cast<const unsigned char*>(in);
      if (len >= 2) {
        p->last_close_code = bytes[0] << 8 | bytes[1];
        p->last_close_reason.assign(reinterpret_cast<const char*>(bytes) + 2, len - 2);
      }
      return 0;
    }
    case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
      if (p->link != Link::kConnecting) return 0;
      on_connect_error(*p, in ? static_cast<const char*>(in) : "connection failed");
      return 0;
    case LWS_CALLBACK_CLIENT_CLOSED:
      if (p->link == Link::kDown) return 0;
      on_closed(*p);
      return 0;
    default:
      return 0;
  }
}

void Generator::on_open(Participant& p) {
  --connecting_;
  p.link = Link::kOpen;
  p.last_close_code = 0;
  p.last_close_reason.clear();
  report_.handshake.record(now_us() - p.connect_started_us);
  pump_connects();
  if (measuring() && options_.mode == LoadMode::kClosedLoop) act(p);
}

void Generator::on_connect_error(Participant& p, const char* why) {
  if (p.link == Link::kConnecting) --connecting_;
  p.link = Link::kDown;
  p.socket = nullptr;
  if (phase_ == Phase::kDone) return;
  ++report_.connect_failures;
  note_error(std::string("connecting participant ") + std::to_string(p.served->id_in_session) +
             " failed: " + why);
  connect_later(p, kReconnectDelayUs);
}

void Generator::on_closed(Participant& p) {
  if (p.link == Link::kConnecting) --connecting_;
  p.link = Link::kDown;
  p.socket = nullptr;
  if (phase_ == Phase::kDone) return;
  if (p.moving) {
    connect_later(p, 0);
    pump_connects();
    return;
  }
  ++report_.closes;
  std::string why = p.last_close_code ? "the server closed participant " : "participant ";
  why += std::to_string(p.served->id_in_session) + "'s connection";
  if (p.last_close_code) {
    why += " with " + std::to_string(p.last_close_code) + " " + p.last_close_reason;
  } else {
    why += " dropped";
  }
  note_error(why);
  const int code = p.last_close_code;
  if (code == kCloseMessageTooBig || code == kCloseUnknownCode || code == kCloseTooManyPages) {
    return;
  }
  connect_later(p, kReconnectDelayUs);
}

void Generator::note_error(const std::string& what) {
  if (report_.first_error.empty()) report_.first_error = what;
}

// ---- frames ----

int Generator::on_receive(Participant& p, const char* in, size_t len) {
  p.incoming.append(in, len);
  if (!lws_is_final_fragment(p.socket)) return 0;
  std::string text = std::move(p.incoming);
  p.incoming.clear();
  handle_frame(p, text);
  if (p.moving) {
    // A browser loads the new page, which opens a new socket.
    lws_close_reason(p.socket, LWS_CLOSE_STATUS_GOINGAWAY, nullptr, 0);
    return -1;
  }
  return 0;
}

void Generator::handle_frame(Participant& p, std::string_view text) {
  const int64_t received_us = this->received_us();
  // The server writes live frames as kLivePrefix, the number, kLiveData,
  // the payload and "}", so only the payload needs parsing; anything else
  // is parsed whole.
  Json payload;
  std::string type;
  const size_t data_at = text.starts_with(kLivePrefix) && text.ends_with('}')
                             ? text.find(kLiveData, kLivePrefix.size())
                             : std::string_view::npos;
  if (data_at != std::string_view::npos) {
    type = "live";
    const size_t start = data_at + kLiveData.size();
    payload = Json::parse(text.substr(start, text.size() - start - 1), nullptr, false);
  } else {
    payload = Json::parse(text, nullptr, false);
    if (payload.is_object() && payload.contains("type") && payload["type"].is_string()) {
      type = payload["type"].get<std::string>();
    }
  }
  if (payload.is_discarded() || type.empty()) {
    if (measuring()) ++report_.protocol_errors;
    note_error("participant " + std::to_string(p.served->id_in_session) +
               " received a frame that is not protocol JSON: " + std::string(text.substr(0, 80)));
    return;
  }

  if (type == "live") {
    if (measuring()) ++report_.deliveries;
    try {
      p.bot->on_receive(payload);
    } catch (const std::exception&) {
      // A bot reads only the payloads it expects; the server decides the rest.
    }
    const Settlement settled = p.rule->on_live(payload, p.waiting);
    if (measuring()) {
      report_.silent += settled.silent;
      if (settled.answered && settled.answered_sent_us >= phase_started_us_) {
        ++report_.replies;
        report_.round_trip.record(received_us - settled.answered_sent_us);
        second_.record(received_us - settled.answered_sent_us);
      }
    }
  } else if (type == "error") {
    const std::string message = payload.value("message", std::string());
    if (measuring()) {
      ++report_.error_frames;
      note_error("participant " + std::to_string(p.served->id_in_session) +
                 " received the error \"" + message + "\"");
    }
    p.bot->on_error(message);
    // Errors go to the sender alone, in order: this answers its oldest send.
    if (!p.waiting.empty()) {
      if (measuring() && p.waiting.front().sent_us >= phase_started_us_) {
        ++report_.replies;
        report_.round_trip.record(received_us - p.waiting.front().sent_us);
        second_.record(received_us - p.waiting.front().sent_us);
      }
      p.waiting.pop_front();
    }
  } else if (type == "page") {
    const Json page = payload.value("page", Json());
    if (!page.is_number_unsigned() || page.get<uint64_t>() >= p.game->pages().size()) {
      if (measuring()) ++report_.protocol_errors;
      note_error("participant " + std::to_string(p.served->id_in_session) +
                 " was sent to a page its game does not have: " + std::string(text));
      return;
    }
    p.page = page.get<uint32_t>();
    p.moving = true;
    if (measuring()) {
      ++report_.page_moves;
    } else {
      ++report_.page_moves_while_connecting;
    }
    return;
  } else {
    if (measuring()) ++report_.protocol_errors;
    note_error("participant " + std::to_string(p.served->id_in_session) +
               " received a frame of unknown type \"" + type + "\"");
    return;
  }
  if (options_.mode == LoadMode::kClosedLoop) act(p);
}

// Closed loop: the bot acts when nothing it sent is still unanswered.
void Generator::act(Participant& p) {
  if (!measuring() || p.link != Link::kOpen || p.moving || p.finished) return;
  if (!p.outgoing.empty() || !p.waiting.empty()) return;
  if (p.page_spec().kind == PageKind::kWait) return;  // the group moves it on
  BotAction action = p.bot->act(p.page_spec(), p.rng);
  switch (action.kind) {
    case BotAction::Kind::kSend:
      send(p, std::move(action.data));
      break;
    case BotAction::Kind::kWait:
      break;                        // the next frame it receives lets it act again
    case BotAction::Kind::kSubmit:  // pages are submitted over HTTP, which bench does not speak
    case BotAction::Kind::kDone:
      p.finished = true;
      ++report_.bots_finished;
      break;
  }
}

void Generator::send(Participant& p, Json data) {
  Outgoing out;
  const std::string text = "{\"page\":" + std::to_string(p.page) + ",\"data\":" + data.dump() + "}";
  out.frame.reserve(LWS_PRE + text.size());
  out.frame.assign(LWS_PRE, '\0');
  out.frame += text;
  out.data = std::move(data);
  p.outgoing.push_back(std::move(out));
  lws_callback_on_writable(p.socket);
}

int Generator::on_writable(Participant& p) {
  if (p.outgoing.empty() || p.moving) return 0;
  Outgoing& out = p.outgoing.front();
  const size_t size = out.frame.size() - LWS_PRE;
  auto* start = reinterpret_cast<unsigned char*>(out.frame.data()) + LWS_PRE;
  if (lws_write(p.socket, start, size, LWS_WRITE_TEXT) < static_cast<int>(size)) return -1;
  const int64_t sent_us = now_us();
  const bool expected = p.rule->expects_reply(out.data);
  if (measuring()) {
    ++report_.messages;
    if (!expected) ++report_.silent;
  }
  if (expected) {
    if (p.waiting.size() >= kMaxWaiting) {
      p.waiting.pop_front();
      if (measuring()) ++report_.unanswered;
    }
    p.waiting.push_back({sent_us, std::move(out.data)});
  }
  p.outgoing.pop_front();
  if (!p.outgoing.empty()) lws_callback_on_writable(p.socket);
  if (options_.mode == LoadMode::kClosedLoop) act(p);
  return 0;
}

}  // namespace livectl::load
