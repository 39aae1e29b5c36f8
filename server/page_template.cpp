#include "server/page_template.h"

#include <algorithm>
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

  size_t position = 0;
  while (position < text.size()) {
    const size_t open = text.find("{{", position);
    if (open == std::string_view::npos) {
      compiled.pieces_.push_back({Part::kText, 0, std::string(text.substr(position))});
      break;
    }
    if (open > position) {
      compiled.pieces_.push_back(
          {Part::kText, 0, std::string(text.substr(position, open - position))});
    }
    const size_t close = text.find("}}", open + 2);
    if (close == std::string_view::npos)
      return Status::Error(where(open) + "{{ is not closed by }}");
    const std::string_view name = trim(text.substr(open + 2, close - open - 2));
    position = close + 2;

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
          "next_button");
    }
    compiled.pieces_.push_back(std::move(piece));
  }
  *out = std::move(compiled);
  return Status();
}

void PageTemplate::render(const Player& player, std::string_view next_button,
                          std::string& out) const {
  std::string value;
  for (const Piece& piece : pieces_) {
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

void append_field_value(const Json& value, std::string& out) {
  if (value.is_string()) {
    out += value.get_ref<const std::string&>();
  } else {
    out += value.dump();
  }
}

}  // namespace livectl::server
