// The WebSocket frames each way.
#include "server/frames.h"

#include <doctest/doctest.h>

#include "engine/text.h"

namespace livectl::testing {
namespace {

using server::LiveMessage;
using server::parse_live_message;

std::string parse_error(std::string_view text) {
  LiveMessage message;
  return parse_live_message(text, &message).message();
}

TEST_CASE("server frames wrap the serialized payload as it is") {
  CHECK(server::frame_text(server::live_frame(18446744073709551615ULL, R"({"b":1,"a":[2]})")) ==
        R"({"type":"live","seq":18446744073709551615,"data":{"b":1,"a":[2]}})");
  CHECK(server::frame_text(server::gap_frame(3, 1004)) ==
        R"({"type":"gap","after":3,"resumes":1004})");
  CHECK(server::frame_text(server::error_frame("say \"hi\"")) ==
        R"({"type":"error","message":"say \"hi\""})");
  CHECK(server::frame_text(server::page_frame(1, "results")) ==
        R"({"type":"page","page":1,"name":"results"})");
}

TEST_CASE("a client frame carries data and optionally the page it was sent from") {
  LiveMessage message;
  REQUIRE(parse_live_message(R"({"page": 2, "data": {"square": 4}})", &message).ok());
  CHECK(message.page == 2);
  CHECK(message.data == Json{{"square", 4}});
  REQUIRE(parse_live_message(R"({"data": null})", &message).ok());
  CHECK(message.page == -1);
  CHECK(message.data.is_null());
}

TEST_CASE("a malformed client frame is refused with a reason") {
  CHECK(parse_error("{bad") == "the frame is not valid JSON (error at byte 2)");
  CHECK(parse_error("[1]") == "a frame must be an object {\"page\": P, \"data\": D}");
  CHECK(parse_error(R"({"page": 0})") == "the frame has no \"data\"");
  CHECK(parse_error(R"({"page": -1, "data": 1})") ==
        "\"page\" must be a page index (an integer from 0)");
  CHECK(parse_error(R"({"page": "0", "data": 1})") ==
        "\"page\" must be a page index (an integer from 0)");
  CHECK(parse_error(R"({"data": 1, "extra": 2})") ==
        "unknown key \"extra\" in the frame; a frame has only \"page\" and \"data\"");
}

TEST_CASE("a frame nesting deeper than 64 levels is refused before it is parsed") {
  const std::string deep = "{\"data\":" + std::string(64, '[') + std::string(64, ']') + "}";
  LiveMessage message;
  CHECK(parse_live_message(deep, &message).ok());
  const std::string deeper = "{\"data\":" + std::string(65, '[') + std::string(65, ']') + "}";
  CHECK(parse_error(deeper) == "the frame nests deeper than 64 levels");
  // Brackets inside strings do not count.
  CHECK(parse_live_message("{\"data\":\"" + std::string(100, '[') + "\"}", &message).ok());
}

TEST_CASE("a number too large for a double is refused with its place, not thrown") {
  CHECK(parse_error(R"({"page":1,"data":1e400})") ==
        "the frame has a number too large for a double at byte 18");
  CHECK(parse_error(R"({"page":1,"data":-1e400})") ==
        "the frame has a number too large for a double at byte 18");
  CHECK(parse_error(R"({"page":1,"data":[1e400]})") ==
        "the frame has a number too large for a double at byte 19");
  CHECK(parse_error(R"({"page":1,"data":{"a":1e400}})") ==
        "the frame has a number too large for a double at byte 23");
  CHECK(parse_error(R"({"page":1e400,"data":1})") ==
        "the frame has a number too large for a double at byte 9");
  // The largest doubles still parse.
  LiveMessage message;
  CHECK(parse_live_message(R"({"data":1.7976931348623157e308})", &message).ok());
  CHECK(parse_live_message(R"({"data":-1e-400})", &message).ok());
}

TEST_CASE("an unknown key is cut without splitting a character") {
  std::string key = "a";
  for (int i = 0; i < 30; ++i) key += "\xc3\xa9";  // é: the 40-byte cut falls inside one
  const std::string message = parse_error("{\"" + key + "\": 1, \"data\": 1}");
  CHECK(message == "unknown key \"" + key.substr(0, 39) +
                       "\" in the frame; a frame has only \"page\" and \"data\"");
  CHECK(valid_utf8(message));
}

}  // namespace
}  // namespace livectl::testing
