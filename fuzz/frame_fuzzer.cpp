// Target (a): a client's WebSocket text frame (server/frames.h).
// The bytes are the frame's text, as libwebsockets hands it over.
// Checks: parse_live_message never throws; an error is one sentence of
// valid UTF-8 that error_frame() can send back; an accepted frame's data
// nests no deeper than kMaxJsonDepth and serializes (as live_method's
// outbox and the event log will serialize it); a page is -1 or an index.
#include <string_view>

#include "fuzz/fuzz_input.h"
#include "server/frames.h"

using livectl::Json;
using livectl::fuzz::is_utf8;

namespace {

int depth(const Json& value) {
  int deepest = 0;
  if (value.is_structured()) {
    for (const Json& child : value) deepest = std::max(deepest, depth(child));
    return deepest + 1;
  }
  return 0;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  livectl::server::LiveMessage message;
  livectl::Status status;
  try {
    status = livectl::server::parse_live_message(text, &message);
  } catch (const std::exception& e) {
    FUZZ_CHECK(false, "parse_live_message threw: %s", e.what());
  }
  if (!status.ok()) {
    FUZZ_CHECK(is_utf8(status.message()), "the error is not UTF-8: %s", status.message().c_str());
    try {
      const livectl::server::Frame frame = livectl::server::error_frame(status.message());
      FUZZ_CHECK(Json::accept(livectl::server::frame_text(frame)), "the error frame is not JSON");
    } catch (const std::exception& e) {
      FUZZ_CHECK(false, "error_frame threw on \"%s\": %s", status.message().c_str(), e.what());
    }
    return 0;
  }
  FUZZ_CHECK(message.page >= -1, "page %d", message.page);
  FUZZ_CHECK(depth(message.data) <= livectl::server::kMaxJsonDepth, "data nests %d deep",
             depth(message.data));
  try {
    const std::string dumped = message.data.dump();
    FUZZ_CHECK(Json::accept(dumped), "data serializes as text that is not JSON: %s",
               dumped.c_str());
  } catch (const std::exception& e) {
    FUZZ_CHECK(false, "an accepted frame's data does not serialize: %s", e.what());
  }
  return 0;
}
