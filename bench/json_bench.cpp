// JSON as it crosses the wire, for the bundled games' typical payloads, both
// ways: the server decodes every client frame and encodes each payload once
// however many receive it; a client (a browser, the load generator) does
// the opposite.
#include <string>

#include "bench/support.h"
#include "engine/fields.h"
#include "engine/json.h"

namespace livectl::bench {
namespace {

// The text of one payload as it travels, spelled as nlohmann encodes it
// (keys sorted), so that encoding can be checked against it.
namespace payload {
// A client frame carrying an auction bid (liveSend(42) on page 1).
constexpr char kBidFrame[] = R"({"data":42,"page":1})";
// The auction's broadcast of an accepted bid.
constexpr char kBidBroadcast[] = R"({"bid":42,"id_in_group":2})";
// tictactoe's broadcast after a move: the state, the square and the mover.
constexpr char kTictactoeState[] =
    R"({"board":"XO X  O  ","draw":false,"id_in_group":1,"square":3,"whose_turn":2,"winner":null})";
// A client frame carrying a bargaining offer.
constexpr char kOfferFrame[] = R"({"data":{"to":2,"type":"offer","value":12.5},"page":1})";
// The offer as its addressee receives it.
constexpr char kOfferReceived[] = R"({"from":1,"type":"offer","value":12.5})";
}  // namespace payload

// Parsed as the server parses a frame; a parse failure fails the benchmark.
void decode(benchmark::State& state, const char* text) {
  const std::string input = text;
  for (auto _ : state) {
    Json value = Json::parse(input, nullptr, /*allow_exceptions=*/false);
    if (value.is_discarded()) {
      fail(state, "not JSON: " + input);
      break;
    }
    benchmark::DoNotOptimize(value);
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(input.size()));
}

// Serialized as the engine serializes a payload; it must give the text back.
void encode(benchmark::State& state, const char* text) {
  const Json value = Json::parse(text);
  if (value.dump() != text) {
    fail(state, "encodes as " + value.dump() + ", not " + text);
    return;
  }
  for (auto _ : state) {
    std::string encoded = value.dump();
    benchmark::DoNotOptimize(encoded);
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(std::string(text).size()));
}

BENCHMARK_CAPTURE(decode, bid_frame, payload::kBidFrame)->Name("json/decode/bid_frame");
BENCHMARK_CAPTURE(decode, bid_broadcast, payload::kBidBroadcast)->Name("json/decode/bid_broadcast");
BENCHMARK_CAPTURE(decode, tictactoe_state, payload::kTictactoeState)
    ->Name("json/decode/tictactoe_state");
BENCHMARK_CAPTURE(decode, offer_frame, payload::kOfferFrame)->Name("json/decode/offer_frame");
BENCHMARK_CAPTURE(decode, offer_received, payload::kOfferReceived)
    ->Name("json/decode/offer_received");

BENCHMARK_CAPTURE(encode, bid_frame, payload::kBidFrame)->Name("json/encode/bid_frame");
BENCHMARK_CAPTURE(encode, bid_broadcast, payload::kBidBroadcast)->Name("json/encode/bid_broadcast");
BENCHMARK_CAPTURE(encode, tictactoe_state, payload::kTictactoeState)
    ->Name("json/encode/tictactoe_state");
BENCHMARK_CAPTURE(encode, offer_frame, payload::kOfferFrame)->Name("json/encode/offer_frame");
BENCHMARK_CAPTURE(encode, offer_received, payload::kOfferReceived)
    ->Name("json/encode/offer_received");

// Building the offer payload three ways: object() (engine/fields.h), the
// emplace calls it stands for, and nlohmann's nested braces. Each must give
// kOfferReceived.
template <class Build>
void build(benchmark::State& state, Build make) {
  if (make(1, 12.5).dump() != payload::kOfferReceived) {
    fail(state, "builds " + make(1, 12.5).dump());
    return;
  }
  int from = 1;
  for (auto _ : state) {
    benchmark::DoNotOptimize(from);
    Json value = make(from, 12.5);
    benchmark::DoNotOptimize(value);
  }
  state.SetItemsProcessed(state.iterations());
}

Json build_with_object(int from, double value) {
  return object({{"type", "offer"}, {"from", from}, {"value", value}});
}
Json build_with_emplace(int from, double value) {
  Json payload(Json::value_t::object);
  payload.emplace("type", "offer");
  payload.emplace("from", from);
  payload.emplace("value", value);
  return payload;
}
Json build_with_braces(int from, double value) {
  return {{"type", "offer"}, {"from", from}, {"value", value}};
}

BENCHMARK_CAPTURE(build, object, build_with_object)->Name("json/build/object");
BENCHMARK_CAPTURE(build, emplace, build_with_emplace)->Name("json/build/emplace");
BENCHMARK_CAPTURE(build, braces, build_with_braces)->Name("json/build/nested_braces");

}  // namespace
}  // namespace livectl::bench
