#pragma once
// The WebSocket frames each way (docs/protocol.md, "Frames").
//
// Server to client, one JSON object per text frame:
//   {"type":"live","seq":<n>,"data":<payload>}
//                                            liveRecv(payload); n is the
//                                            participant's delivery number
//   {"type":"gap","after":<a>,"resumes":<b>} deliveries a+1..b-1 cannot be re-sent
//   {"type":"error","message":"..."}        shown in the browser's console
//   {"type":"page","page":<index>,"name":"..."}
//                                            the participant is on another page now
// Client to server: {"page":<index>,"data":<value>} for liveSend(value);
// "page" may be left out to mean "the page I am on now".
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "engine/json.h"
#include "engine/status.h"

namespace livectl::server {

// An outgoing frame, built once and shared by every connection it goes to.
// The string starts with the headroom lws_write() needs (LWS_PRE bytes),
// followed by the frame's JSON text; lws_write() may overwrite the headroom,
// never the text, and only on the event-loop thread.
using Frame = std::shared_ptr<std::string>;

// Wraps an already serialized payload, the participant's delivery `seq`;
// never re-serializes it.
Frame live_frame(uint64_t seq, std::string_view payload_json);
// A reconnecting page asked for the deliveries after `after`, and the
// server holds them only from `resumes` on (docs/protocol.md, "Delivery").
Frame gap_frame(uint64_t after, uint64_t resumes);
Frame error_frame(std::string_view message);
Frame page_frame(uint32_t page, std::string_view page_name);

// The frame's JSON text, without the headroom.
std::string_view frame_text(const Frame& frame);
// Where lws_write() is to start: the text, with the headroom before it.
unsigned char* frame_start(const Frame& frame);

// A liveSend as the client sent it.
struct LiveMessage {
  int32_t page = -1;  // -1: whatever page the participant is on
  Json data;
};

// Deeper JSON is refused before it is parsed: recursion over it (dumping,
// comparing) would otherwise grow the stack with the input.
constexpr int kMaxJsonDepth = 64;

// Parses a client text frame. Errors, one sentence each:
//   "the frame is not valid JSON (error at byte N)"
//   "the frame nests deeper than 64 levels"
//   "the frame has a number too large for a double at byte N"
//   "a frame must be an object {\"page\": P, \"data\": D}"
//   "unknown key \"K\" in the frame; a frame has only \"page\" and \"data\""
//   "\"page\" must be a page index (an integer from 0)"
//   "the frame has no \"data\""
Status parse_live_message(std::string_view text, LiveMessage* out);

}  // namespace livectl::server
