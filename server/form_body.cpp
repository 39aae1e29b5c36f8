#include "server/form_body.h"

#include <algorithm>

#include "engine/text.h"

namespace livectl::server {

namespace {

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string decode(std::string_view text) {
  std::string decoded;
  decoded.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '+') {
      decoded += ' ';
    } else if (c == '%' && i + 2 < text.size() && hex_digit(text[i + 1]) >= 0 &&
               hex_digit(text[i + 2]) >= 0) {
      decoded += static_cast<char>(hex_digit(text[i + 1]) * 16 + hex_digit(text[i + 2]));
      i += 2;
    } else {
      decoded += c;
    }
  }
  return decoded;
}

}  // namespace

std::vector<std::pair<std::string, std::string>> parse_form_body(std::string_view body) {
  std::vector<std::pair<std::string, std::string>> pairs;
  while (!body.empty()) {
    const size_t end = std::min(body.find('&'), body.size());
    const std::string_view pair = body.substr(0, end);
    body.remove_prefix(std::min(end + 1, body.size()));
    if (pair.empty()) continue;  // "a=1&&b=2"
    const size_t equals = pair.find('=');
    if (equals == std::string_view::npos) {
      pairs.emplace_back(decode(pair), std::string());
    } else {
      pairs.emplace_back(decode(pair.substr(0, equals)), decode(pair.substr(equals + 1)));
    }
  }
  return pairs;
}

Json page_form_values(const Game& game, const PageSpec& page, std::string_view body) {
  if (page.form_fields.empty()) return nullptr;
  Json values = Json::object();
  for (auto& [name, value] : parse_form_body(body)) {
    for (const FormField& field : page.form_fields) {
      if (game.player_fields()[field.field].name != name) continue;
      values[name] = valid_utf8(value) ? std::move(value) : repair_utf8(value);
      break;
    }
  }
  return values;
}

}  // namespace livectl::server
