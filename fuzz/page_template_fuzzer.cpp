// Target (c): page templates (server/page_template.h), compiled and rendered.
// The bytes: one choosing the game, the template's text up to the first NUL
// byte, then the values of the game's group and player fields and of
// participant 1's label (strings with markup, invalid UTF-8, numbers of any
// size). Checks: compile never
// throws; a compiled template renders for participant 1 without throwing;
// values are escaped: a template whose own text has no '<' renders none in
// any block (with an empty next button); the label and the group's fields as
// js_vars (append_script_json) have no raw < > & U+2028 U+2029 and read back
// as themselves.
#include <string>

#include "engine/registry.h"
#include "engine/session.h"
#include "fuzz/fuzz_input.h"
#include "games/examples.h"
#include "server/page_template.h"

using livectl::Json;
using livectl::fuzz::FuzzInput;

namespace {

Json value_from(FuzzInput& in) {
  switch (in.below(6)) {
    case 0:
      return nullptr;
    case 1:
      return in.flag();
    case 2:
      return static_cast<int64_t>(in.u64());
    case 3:
      return in.u64();
    case 4:
      return in.f64();
    default:
      return std::string(in.string());
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  livectl_register_examples();  // as a livectl binary's main does
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  const size_t nul = bytes.find('\0', 1);
  const std::string_view text =
      size == 0 ? bytes : bytes.substr(1, nul == bytes.npos ? nul : nul - 1);
  FuzzInput in(data, size);
  const auto& games = livectl::all_games();
  const livectl::Game& game = *games[in.below(static_cast<uint32_t>(games.size()))];
  // The values; none (all null, an empty label) when there is no NUL.
  in = nul == bytes.npos ? FuzzInput(data + size, 0) : FuzzInput(data + nul + 1, size - nul - 1);
  livectl::MemoryStore store(/*keep_log=*/false);
  livectl::SessionConfig config;
  config.participants = game.players_per_group();
  livectl::Session session(game, store, config);
  // Stored values that do not fit a field's type are refused by restore_*,
  // as they are when a store reloads them; what fits is rendered.
  for (uint32_t f = 0; f < game.group_fields().size(); ++f) {
    try {
      session.restore_group_field(0, f, value_from(in));
    } catch (const std::invalid_argument&) {
    }
  }
  for (uint32_t f = 0; f < game.player_fields().size(); ++f) {
    try {
      session.restore_player_field(0, f, value_from(in));
    } catch (const std::invalid_argument&) {
    }
  }
  session.restore_participant(1, std::string(in.string()), 0);

  // js_vars as a page's <script> holds it: nothing that ends or bends the
  // element, and the same value to a JSON reader (bytes that are not UTF-8
  // read back as U+FFFD).
  livectl::Json vars = livectl::Json::object();
  vars["label"] = session.player(1).participant().label;
  vars["group"] = session.player(1).group().fields();
  std::string script;
  livectl::server::append_script_json(vars, script);
  for (const std::string_view bad : {"<", ">", "&", "\xe2\x80\xa8", "\xe2\x80\xa9"}) {
    FUZZ_CHECK(script.find(bad) == std::string::npos, "script JSON holds a raw %s: %s",
               std::string(bad).c_str(), script.c_str());
  }
  livectl::Json read_back;
  try {
    read_back = livectl::Json::parse(script);
  } catch (const std::exception& e) {
    FUZZ_CHECK(false, "script JSON does not parse (%s): %s", e.what(), script.c_str());
  }
  bool valid_utf8 = true;
  try {
    (void)vars.dump();
  } catch (const livectl::Json::type_error&) {
    valid_utf8 = false;
  }
  FUZZ_CHECK(!valid_utf8 || read_back == vars, "script JSON reads back otherwise: %s",
             script.c_str());

  livectl::server::PageTemplate compiled;
  livectl::Status status;
  try {
    status = livectl::server::PageTemplate::compile(game, session.page_of(session.player(1)),
                                                    "fuzz.html", text, &compiled);
  } catch (const std::exception& e) {
    FUZZ_CHECK(false, "compile threw: %s", e.what());
  }
  if (!status.ok()) {
    FUZZ_CHECK(status.message().starts_with("fuzz.html line "), "error without a line: %s",
               status.message().c_str());
    return 0;
  }
  for (size_t block = 0; block < livectl::server::kBlockCount; ++block) {
    std::string out;
    try {
      compiled.render(static_cast<livectl::server::Block>(block), session.player(1), "", out);
    } catch (const std::exception& e) {
      FUZZ_CHECK(false, "render threw: %s", e.what());
    }
    if (text.find('<') == std::string_view::npos) {
      FUZZ_CHECK(out.find('<') == std::string::npos, "a value was not escaped: %s", out.c_str());
    }
  }
  return 0;
}
