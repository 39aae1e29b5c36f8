#include "engine/registry.h"

#include <stdexcept>

namespace livectl {
namespace {

struct Entry {
  const Game* game;
  std::string source_dir;
  std::span<const EmbeddedFile> files;
};

struct Registry {
  std::vector<Entry> entries;
  std::vector<const Game*> games;
};

Registry& registry() {
  static Registry instance;
  return instance;
}

const Entry* entry_named(std::string_view name) {
  for (const Entry& entry : registry().entries) {
    if (entry.game->name() == name) return &entry;
  }
  return nullptr;
}

}  // namespace

void register_game(const Game& game, std::string_view source_dir,
                   std::span<const EmbeddedFile> files) {
  if (const Entry* existing = entry_named(game.name())) {
    if (existing->game == &game) return;
    throw std::invalid_argument("two games are called '" + game.name() +
                                "'; a game's name must be unique in a study");
  }
  registry().entries.push_back(Entry{&game, std::string(source_dir), files});
  registry().games.push_back(&game);
}

const std::vector<const Game*>& all_games() {
  return registry().games;
}

const Game* find_game(std::string_view name) {
  const Entry* entry = entry_named(name);
  return entry ? entry->game : nullptr;
}

std::string game_names() {
  std::string names;
  for (const Game* game : all_games()) {
    if (!names.empty()) names += ", ";
    names += game->name();
  }
  return names;
}

std::optional<std::string_view> game_file(std::string_view path) {
  constexpr std::string_view kPrefix = "games/";
  if (path.substr(0, kPrefix.size()) != kPrefix) return std::nullopt;
  path.remove_prefix(kPrefix.size());
  const size_t slash = path.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  const Entry* entry = entry_named(path.substr(0, slash));
  if (!entry) return std::nullopt;
  const std::string_view name = path.substr(slash + 1);
  for (const EmbeddedFile& file : entry->files) {
    if (file.name == name) return file.bytes;
  }
  return std::nullopt;
}

std::string_view game_source_dir(const Game& game) {
  const Entry* entry = entry_named(game.name());
  return entry && entry->game == &game ? std::string_view(entry->source_dir) : std::string_view();
}

}  // namespace livectl
