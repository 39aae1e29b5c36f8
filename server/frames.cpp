#include "server/frames.h"

#include <libwebsockets.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "engine/text.h"

namespace livectl::server {

namespace {

Frame make_frame(std::string_view head, std::string_view middle, std::string_view tail) {
  auto frame = std::make_shared<std::string>();
  frame->reserve(LWS_PRE + head.size() + middle.size() + tail.size());
  frame->append(LWS_PRE, '\0');
  frame->append(head);
  frame->append(middle);
  frame->append(tail);
  return frame;
}

// Follows JSON text byte by byte and says which bytes are inside strings,
// so that scans for brackets and numbers skip what strings hold.
class StringTracker {
 public:
  // True when `c`, the next byte, is part of a string (its quotes included).
  bool in_string(char c) {
    if (inside_) {
      if (escaped_) {
        escaped_ = false;
      } else if (c == '\\') {
        escaped_ = true;
      } else if (c == '"') {
        inside_ = false;
      }
      return true;
    }
    inside_ = c == '"';
    return inside_;
  }

 private:
  bool inside_ = false;
  bool escaped_ = false;
};

// The deepest nesting of arrays and objects in `text`, ignoring brackets
// inside strings; stops counting once past `limit`.
int nesting_depth(std::string_view text, int limit) {
  int depth = 0;
  int deepest = 0;
  StringTracker strings;
  for (char c : text) {
    if (strings.in_string(c)) continue;
    if (c == '[' || c == '{') {
      deepest = std::max(deepest, ++depth);
      if (deepest > limit) return deepest;
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return deepest;
}

// The 1-based byte where the first number of `text` that is too large for a
// double starts (outside strings), or 0 when there is none. Called only
// after the parser refused such a number, so `text` is otherwise JSON.
size_t huge_number_at(std::string_view text) {
  StringTracker strings;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (strings.in_string(c)) continue;
    if (c != '-' && (c < '0' || c > '9')) continue;
    size_t end = i;
    while (end < text.size() &&
           std::string_view("+-0123456789.eE").find(text[end]) != std::string_view::npos) {
      ++end;
    }
    const std::string number(text.substr(i, end - i));
    if (std::isinf(std::strtod(number.c_str(), nullptr))) return i + 1;
    i = end - 1;
  }
  return 0;
}

}  // namespace

Frame live_frame(uint64_t seq, std::string_view payload_json) {
  char head[64];
  const int length = std::snprintf(head, sizeof(head), "{\"type\":\"live\",\"seq\":%llu,\"data\":",
                                   static_cast<unsigned long long>(seq));
  return make_frame(std::string_view(head, static_cast<size_t>(length)), payload_json, "}");
}

Frame gap_frame(uint64_t after, uint64_t resumes) {
  return make_frame("{\"type\":\"gap\",\"after\":" + std::to_string(after) +
                        ",\"resumes\":" + std::to_string(resumes) + "}",
                    "", "");
}

Frame error_frame(std::string_view message) {
  // A message that is not UTF-8 is repaired, never thrown on: an error
  // frame must always be sendable.
  return make_frame("{\"type\":\"error\",\"message\":",
                    Json(message).dump(-1, ' ', false, Json::error_handler_t::replace), "}");
}

Frame page_frame(uint32_t page, std::string_view page_name) {
  return make_frame("{\"type\":\"page\",\"page\":" + std::to_string(page) + ",\"name\":",
                    Json(page_name).dump(), "}");
}

std::string_view frame_text(const Frame& frame) {
  return std::string_view(*frame).substr(LWS_PRE);
}

unsigned char* frame_start(const Frame& frame) {
  return reinterpret_cast<unsigned char*>(frame->data()) + LWS_PRE;
}

Status parse_live_message(std::string_view text, LiveMessage* out) {
  // The envelope adds one level to what liveSend was given.
  if (nesting_depth(text, kMaxJsonDepth + 1) > kMaxJsonDepth + 1) {
    return Status::Error("the frame nests deeper than " + std::to_string(kMaxJsonDepth) +
                         " levels");
  }
  Json frame;
  try {
    frame = Json::parse(text);
  } catch (const Json::parse_error& e) {
    return Status::Error("the frame is not valid JSON (error at byte " + std::to_string(e.byte) +
                         ")");
  } catch (const Json::out_of_range&) {
    // The parser's one out_of_range: a number beyond a double (1e400).
    return Status::Error("the frame has a number too large for a double at byte " +
                         std::to_string(huge_number_at(text)));
  } catch (const Json::exception& e) {
    return Status::Error(std::string("the frame could not be read: ") + e.what());
  }
  if (!frame.is_object()) {
    return Status::Error("a frame must be an object {\"page\": P, \"data\": D}");
  }
  LiveMessage message;
  bool has_data = false;
  for (auto& [key, value] : frame.items()) {
    if (key == "data") {
      message.data = std::move(value);
      has_data = true;
    } else if (key == "page") {
      if (!value.is_number_integer() || value.get<int64_t>() < 0 ||
          value.get<int64_t>() > INT32_MAX) {
        return Status::Error("\"page\" must be a page index (an integer from 0)");
      }
      message.page = value.get<int32_t>();
    } else {
      return Status::Error("unknown key \"" + std::string(cut_utf8(key, 40)) +
                           "\" in the frame; a frame has only \"page\" and \"data\"");
    }
  }
  if (!has_data) return Status::Error("the frame has no \"data\"");
  *out = std::move(message);
  return Status();
}

}  // namespace livectl::server
