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

std::string param_names(const std::vector<ParamSpec>& params) {
  std::string names;
  for (const ParamSpec& param : params) names += ", " + param.name;
  return names;
}

// "answer", "answer and color", "answer, color and agree".
std::string form_field_list(const Game& game, const PageSpec& page) {
  std::string list;
  for (size_t i = 0; i < page.form_fields.size(); ++i) {
    if (i > 0) list += i + 1 == page.form_fields.size() ? " and " : ", ";
    list += game.player_fields()[page.form_fields[i].field].name;
  }
  return list;
}

// The field a {{ formfield ... }} names: 'name', "name" or player.name
// (older oTree templates). Empty when `argument` is none of these.
std::string_view formfield_name(std::string_view argument) {
  if (argument.size() >= 2 && (argument.front() == '\'' || argument.front() == '"') &&
      argument.back() == argument.front()) {
    const std::string_view name = argument.substr(1, argument.size() - 2);
    return name.find_first_of("'\"") == std::string_view::npos ? name : std::string_view();
  }
  if (argument.starts_with("player.") &&
      argument.find_first_of(" \t'\"") == std::string_view::npos) {
    return argument.substr(7);
  }
  return {};
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

Status PageTemplate::compile(const Game& game, const PageSpec& page, std::string_view source,
                             std::string_view text, PageTemplate* out) {
  PageTemplate compiled;
  compiled.page_ = &page;
  compiled.shown_form_fields_.assign(page.form_fields.size(), false);
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
    constexpr std::string_view kConfig = "config.";
    Piece piece{Part::kText, 0, {}};
    if (name == "next_button") {
      piece.part = Part::kNextButton;
      compiled.handles_next_button_ = true;
    } else if (name == "formfields") {
      if (page.form_fields.empty()) {
        return Status::Error(where(open) + "{{ formfields }} on page '" + page.name +
                             "', which has no form fields; a page asks for them with "
                             "form_field(field, options) in the game");
      }
      piece.part = Part::kFormFields;
      compiled.shown_form_fields_.assign(page.form_fields.size(), true);
    } else if (keyword == "formfield") {
      const std::string_view argument =
          space == std::string_view::npos ? std::string_view() : trim(name.substr(space));
      const std::string_view field_name = formfield_name(argument);
      if (field_name.empty()) {
        return Status::Error(where(open) + "{{ " + std::string(name) +
                             " }} does not name a field as {{ formfield 'name' }} does");
      }
      int found = -1;
      for (size_t i = 0; i < page.form_fields.size(); ++i) {
        if (game.player_fields()[page.form_fields[i].field].name == field_name) {
          found = static_cast<int>(i);
        }
      }
      if (found < 0) {
        return Status::Error(where(open) + "{{ " + std::string(name) + " }}: page '" + page.name +
                             "' has no form field '" + std::string(field_name) + "'; " +
                             (page.form_fields.empty()
                                  ? "it has no form fields"
                                  : "its form fields are " + form_field_list(game, page)));
      }
      piece = {Part::kFormField, static_cast<uint32_t>(found), {}};
      compiled.shown_form_fields_[static_cast<size_t>(found)] = true;
    } else if ((owner == "player" || owner == "group" || owner == "subsession") &&
               attribute == "round_number") {
      piece.part = Part::kRoundNumber;
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
    } else if (owner == "participant" && attribute == "payoff") {
      piece.part = Part::kParticipantPayoff;
    } else if (owner == "participant" && attribute == "payoff_plus_participation_fee") {
      piece.part = Part::kPayoffPlusFee;
    } else if (owner == "participant" && game.find_participant_field(attribute) >= 0) {
      piece = {Part::kParticipantField,
               static_cast<uint32_t>(game.find_participant_field(attribute)),
               {}};
    } else if (owner == "session" && attribute == "config.name") {
      piece.part = Part::kConfigName;
    } else if (owner == "session" && attribute == "config.participation_fee") {
      piece.part = Part::kParticipationFee;
    } else if (owner == "session" && attribute == "config.real_world_currency_per_point") {
      piece.part = Part::kCurrencyPerPoint;
    } else if (owner == "session" && attribute.starts_with(kConfig) &&
               game.find_param(attribute.substr(kConfig.size())) >= 0) {
      piece = {Part::kConfigParam,
               static_cast<uint32_t>(game.find_param(attribute.substr(kConfig.size()))),
               {}};
    } else if (name == "C.NUM_ROUNDS") {
      piece.part = Part::kNumRounds;
    } else if (name == "C.PLAYERS_PER_GROUP") {
      piece.part = Part::kPlayersPerGroup;
    } else {
      std::string form;
      if (!page.form_fields.empty()) {
        form = ", formfields, formfield ";
        for (size_t i = 0; i < page.form_fields.size(); ++i) {
          form +=
              (i > 0 ? ", '" : "'") + game.player_fields()[page.form_fields[i].field].name + "'";
        }
        form += " (page " + page.name + "'s form)";
      }
      return Status::Error(
          where(open) + "unknown placeholder {{ " + std::string(name) + " }}; " + game.name() +
          " offers player.id_in_group, round_number" + field_names(game.player_fields()) +
          " (player), group.id_in_subsession, round_number" + field_names(game.group_fields()) +
          " (group), subsession.round_number, participant.code, id_in_session, label, payoff, "
          "payoff_plus_participation_fee" +
          field_names(game.participant_fields()) +
          " (participant), session.config.name, "
          "participation_fee, real_world_currency_per_point" +
          param_names(game.params()) + " (session.config), C.NUM_ROUNDS, C.PLAYERS_PER_GROUP" +
          form +
          " and next_button, and the blocks title, content, scripts and styles "
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
                          std::string& out, const RefusedForm* refused) const {
  const Session& session = player.session();
  const Game& game = player.game();
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
      // Empty while the player has no group (a wait page that groups by
      // arrival time).
      case Part::kGroupField:
        if (player.has_group()) append_field_value(player.group().fields()[piece.field], value);
        break;
      case Part::kIdInSubsession:
        if (player.has_group()) value = std::to_string(player.group().id_in_subsession());
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
      case Part::kRoundNumber:
        value = std::to_string(player.round_number());
        break;
      case Part::kNumRounds:
        value = std::to_string(game.num_rounds());
        break;
      case Part::kPlayersPerGroup:
        value = std::to_string(game.players_per_group());
        break;
      case Part::kParticipantPayoff:
        append_field_value(field_json(session.participant_payoff(player.id_in_session())), value);
        break;
      case Part::kParticipantField:
        append_field_value(player.participant()
                               .fields[session.shared_participant_field(player.app(), piece.field)],
                           value);
        break;
      case Part::kPayoffPlusFee:
        append_field_value(field_json(session.participant_payoff(player.id_in_session()) *
                                          session.real_world_currency_per_point() +
                                      session.participation_fee()),
                           value);
        break;
      case Part::kConfigName:
        value = session.config_name().empty() ? game.name() : session.config_name();
        break;
      case Part::kConfigParam:
        append_field_value(session.params().at(game.params()[piece.field].name), value);
        break;
      case Part::kParticipationFee:
        append_field_value(field_json(session.participation_fee()), value);
        break;
      case Part::kCurrencyPerPoint:
        append_field_value(field_json(session.real_world_currency_per_point()), value);
        break;
      case Part::kFormFields:
        // Escaped where it is built (form_fields.cpp).
        for (const FormField& field : page_->form_fields) {
          append_form_field(game, field, player, refused, out);
        }
        continue;
      case Part::kFormField:
        append_form_field(game, page_->form_fields[piece.field], player, refused, out);
        continue;
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
