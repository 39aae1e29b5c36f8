#include "server/page_template.h"

#include <algorithm>
#include <array>
#include <cctype>

namespace livectl::server {

namespace {

std::string_view trim(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) {
    text.remove_prefix(1);
  }
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) {
    text.remove_suffix(1);
  }
  return text;
}

int line_of(std::string_view text, size_t offset) {
  return 1 + static_cast<int>(std::count(text.begin(), text.begin() + offset, '\n'));
}

std::string field_names(const std::vector<FieldSpec>& fields) {
  std::string names;
  for (const FieldSpec& field : fields) names += ", " + field.name;
  return names;
}

// True when `text` at `at` starts with lower-case `prefix`, ignoring case.
bool starts_with_at(std::string_view text, size_t at, std::string_view prefix) {
  if (text.size() - at < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(text[at + i])) != prefix[i]) return false;
  }
  return true;
}

// Where the markup `tag` (lower case, like "<form") first occurs outside
// comments and scripts, which may well mention the form; npos when nowhere.
size_t find_tag(std::string_view text, std::string_view tag) {
  static constexpr std::pair<std::string_view, std::string_view> kSkipped[] = {
      {"<!--", "-->"}, {"<script", "</script"}};
  for (size_t at = 0; at < text.size(); ++at) {
    if (text[at] != '<') continue;
    if (starts_with_at(text, at, tag)) return at;
    for (const auto& [open, close] : kSkipped) {
      if (!starts_with_at(text, at, open)) continue;
      while (at < text.size() && !starts_with_at(text, at, close)) ++at;
      break;
    }
  }
  return std::string_view::npos;
}

constexpr std::string_view kBlockNames[kBlockCount] = {"title", "content", "scripts", "styles"};
constexpr std::string_view kBlocksThatExist = "the blocks are title, content, scripts and styles";

// The block called `name`, or -1.
int find_block(std::string_view name) {
  for (size_t b = 0; b < kBlockCount; ++b) {
    if (kBlockNames[b] == name) return static_cast<int>(b);
  }
  return -1;
}

bool all_space(std::string_view text) {
  return std::all_of(text.begin(), text.end(),
                     [](char c) { return std::isspace(static_cast<unsigned char>(c)); });
}

}  // namespace

Status PageTemplate::compile(const Game& game, std::string_view source, std::string_view text,
                             PageTemplate* out) {
  PageTemplate compiled;
  auto where = [&](size_t offset) {
    return std::string(source) + " line " + std::to_string(line_of(text, offset)) + ": ";
  };
  if (const size_t form = find_tag(text, "<form"); form != std::string_view::npos) {
    return Status::Error(where(form) +
                         "a template must not contain <form>; the page is already inside "
                         "livectl's <form id=\"form\">");
  }
  compiled.handles_next_button_ = text.find("id=\"next\"") != std::string_view::npos ||
                                  text.find("id='next'") != std::string_view::npos;

  // What lies outside every block: the whole page of a template without
  // blocks; only space in one with blocks (first_stray says where not).
  std::vector<Piece> outside;
  size_t first_stray = std::string_view::npos;
  int open_block = -1;  // the Block being filled, or -1
  size_t open_block_at = 0;
  std::array<size_t, kBlockCount> block_at{};  // where each block opened, for a second one
  auto target = [&]() -> std::vector<Piece>& {
    return open_block < 0 ? outside : compiled.pieces_[static_cast<size_t>(open_block)];
  };
  auto add_text = [&](size_t from, size_t to) {
    if (from >= to) return;
    const std::string_view piece = text.substr(from, to - from);
    if (open_block < 0 && first_stray == std::string_view::npos && !all_space(piece)) {
      first_stray = from + piece.find_first_not_of(" \t\r\n\f\v");
    }
    target().push_back({Part::kText, 0, std::string(piece)});
  };

  size_t position = 0;
  while (position < text.size()) {
    // {% ... %} as oTree also accepts it: the same tags, the same placeholders.
    const size_t curly = text.find("{{", position);
    const size_t percent = text.find("{%", position);
    const size_t open = std::min(curly, percent);
    if (open == std::string_view::npos) {
      add_text(position, text.size());
      break;
    }
    add_text(position, open);
    const std::string_view closer = open == curly ? "}}" : "%}";
    const size_t close = text.find(closer, open + 2);
    if (close == std::string_view::npos) {
      return Status::Error(where(open) + std::string(text.substr(open, 2)) + " is not closed by " +
                           std::string(closer));
    }
    const std::string_view name = trim(text.substr(open + 2, close - open - 2));
    position = close + 2;

    const size_t space = name.find_first_of(" \t\r\n");
    const std::string_view keyword = name.substr(0, space);
    if (keyword == "block") {
      const std::string_view block_name =
          space == std::string_view::npos ? std::string_view() : trim(name.substr(space));
      const int block = find_block(block_name);
      if (block_name.empty()) {
        return Status::Error(where(open) + "{{ block }} names no block; " +
                             std::string(kBlocksThatExist));
      }
      if (block < 0) {
        return Status::Error(where(open) + "unknown block {{ block " + std::string(block_name) +
                             " }}; " + std::string(kBlocksThatExist));
      }
      if (open_block >= 0) {
        return Status::Error(where(open) + "{{ block " + std::string(block_name) +
                             " }} is inside {{ block " +
                             std::string(kBlockNames[static_cast<size_t>(open_block)]) +
                             " }}, which line " + std::to_string(line_of(text, open_block_at)) +
                             " opened; blocks do not nest: close it with {{ endblock }} first");
      }
      if (compiled.has_[static_cast<size_t>(block)]) {
        return Status::Error(where(open) + "a second {{ block " + std::string(block_name) +
                             " }}; the first is on line " +
                             std::to_string(line_of(text, block_at[static_cast<size_t>(block)])));
      }
      compiled.has_[static_cast<size_t>(block)] = true;
      block_at[static_cast<size_t>(block)] = open;
      open_block = block;
      open_block_at = open;
      continue;
    }
    if (name == "endblock") {
      if (open_block < 0) {
        return Status::Error(where(open) +
                             "{{ endblock }} closes no block: no {{ block NAME }} is open");
      }
      open_block = -1;
      continue;
    }

    const size_t dot = name.find('.');
    const std::string_view owner = name.substr(0, dot);
    const std::string attribute(dot == std::string_view::npos ? "" : name.substr(dot + 1));
    Piece piece{Part::kText, 0, {}};
    if (name == "next_button") {
      piece.part = Part::kNextButton;
      compiled.handles_next_button_ = true;
    } else if (owner == "player" && attribute == "id_in_group") {
      piece.part = Part::kIdInGroup;
    } else if (owner == "player" && game.find_player_field(attribute) >= 0) {
      piece = {Part::kPlayerField, static_cast<uint32_t>(game.find_player_field(attribute)), {}};
    } else if (owner == "group" && attribute == "id_in_subsession") {
      piece.part = Part::kIdInSubsession;
    } else if (owner == "group" && game.find_group_field(attribute) >= 0) {
      piece = {Part::kGroupField, static_cast<uint32_t>(game.find_group_field(attribute)), {}};
    } else if (owner == "participant" && attribute == "code") {
      piece.part = Part::kParticipantCode;
    } else if (owner == "participant" && attribute == "id_in_session") {
      piece.part = Part::kIdInSession;
    } else if (owner == "participant" && attribute == "label") {
      piece.part = Part::kParticipantLabel;
    } else {
      return Status::Error(
          where(open) + "unknown placeholder {{ " + std::string(name) + " }}; " + game.name() +
          " offers player.id_in_group" + field_names(game.player_fields()) +
          " (player), group.id_in_subsession" + field_names(game.group_fields()) +
          " (group), participant.code, participant.id_in_session, participant.label and "
          "next_button, and the blocks title, content, scripts and styles "
          "({{ block content }} ... {{ endblock }})");
    }
    if (open_block < 0 && first_stray == std::string_view::npos) first_stray = open;
    target().push_back(std::move(piece));
  }
  if (open_block >= 0) {
    return Status::Error(where(open_block_at) + "{{ block " +
                         std::string(kBlockNames[static_cast<size_t>(open_block)]) +
                         " }} is not closed by {{ endblock }}");
  }
  const bool any_block =
      std::find(compiled.has_.begin(), compiled.has_.end(), true) != compiled.has_.end();
  if (!any_block) {
    compiled.pieces_[static_cast<size_t>(Block::kContent)] = std::move(outside);
    compiled.has_[static_cast<size_t>(Block::kContent)] = true;
  } else if (first_stray != std::string_view::npos) {
    // oTree drops it without a word; here it would not be shown either, so
    // it is more likely a mistake than meant.
    return Status::Error(where(first_stray) +
                         "text outside the blocks, which no page shows; in a template with "
                         "blocks everything is inside {{ block title }}, {{ block content }}, "
                         "{{ block scripts }} or {{ block styles }}");
  }
  *out = std::move(compiled);
  return Status();
}

void PageTemplate::render(Block block, const Player& player, std::string_view next_button,
                          std::string& out) const {
  std::string value;
  for (const Piece& piece : pieces_[static_cast<size_t>(block)]) {
    value.clear();
    switch (piece.part) {
      case Part::kText:
        out += piece.text;
        continue;
      case Part::kNextButton:
        out += next_button;
        continue;
      case Part::kPlayerField:
        append_field_value(player.fields()[piece.field], value);
        break;
      case Part::kIdInGroup:
        value = std::to_string(player.id_in_group());
        break;
      case Part::kGroupField:
        append_field_value(player.group().fields()[piece.field], value);
        break;
      case Part::kIdInSubsession:
        value = std::to_string(player.group().id_in_subsession());
        break;
      case Part::kParticipantCode:
        value = player.participant().code;
        break;
      case Part::kIdInSession:
        value = std::to_string(player.participant().id_in_session);
        break;
      case Part::kParticipantLabel:
        value = player.participant().label;
        break;
    }
    append_html_escaped(value, out);
  }
}

void append_html_escaped(std::string_view text, std::string& out) {
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
}

void append_script_json(const Json& value, std::string& out) {
  const std::string json = value.dump(-1, ' ', false, Json::error_handler_t::replace);
  out.reserve(out.size() + json.size());
  for (size_t i = 0; i < json.size(); ++i) {
    const char c = json[i];
    // In JSON text these characters occur only inside strings, where an
    // escape is the same character.
    if (c == '<') {
      out += "\\u003c";
    } else if (c == '>') {
      out += "\\u003e";
    } else if (c == '&') {
      out += "\\u0026";
    } else if (c == '\xe2' && i + 2 < json.size() && json[i + 1] == '\x80' &&
               (json[i + 2] == '\xa8' || json[i + 2] == '\xa9')) {
      // U+2028 and U+2029: line terminators to JavaScript before ES2019.
      out += json[i + 2] == '\xa8' ? "\\u2028" : "\\u2029";
      i += 2;
    } else {
      out += c;
    }
  }
}

void append_field_value(const Json& value, std::string& out) {
  if (value.is_string()) {
    out += value.get_ref<const std::string&>();
  } else {
    out += value.dump();
  }
}

}  // namespace livectl::server
