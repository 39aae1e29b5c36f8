#include "store/replay.h"

#include <map>
#include <memory>

#include "engine/session.h"
#include "engine/text.h"
#include "store/database.h"
#include "store/event_codec.h"
#include "store/statement.h"

namespace livectl {

namespace {

using store::Statement;

// Long payloads are cut in messages: one sentence, not a page.
std::string shown(const std::string& text) {
  constexpr size_t kLimit = 120;
  // Cut on a character boundary: the message may be printed as JSON.
  return text.size() <= kLimit ? text : std::string(cut_utf8(text, kLimit)) + "...";
}
std::string shown(const Json& value) {
  return shown(value.dump());
}

// What differs between the deliveries stored for an event and the replayed ones.
std::string describe_deliveries(const std::string& stored_text, const EventResult& result) {
  std::map<uint32_t, Json> stored;
  std::map<uint32_t, Json> replayed;
  const Json parsed = Json::parse(stored_text, nullptr, /*allow_exceptions=*/false);
  auto malformed = [&] {
    return "its stored deliveries are not [[[ids], payload], ...]: " + shown(stored_text);
  };
  if (!parsed.is_array()) return malformed();
  for (const Json& entry : parsed) {
    if (!entry.is_array() || entry.size() != 2 || !entry[0].is_array()) return malformed();
    for (const Json& id : entry[0]) {
      if (!id.is_number_unsigned()) return malformed();
      stored[id.get<uint32_t>()] = entry[1];
    }
  }
  for (const Delivery& d : result.deliveries)
    replayed[d.participant] = result.payload_values[d.payload];
  std::map<uint32_t, bool> everyone;
  for (const auto& [id, payload] : stored) everyone[id] = true;
  for (const auto& [id, payload] : replayed) everyone[id] = true;
  for (const auto& [id, unused] : everyone) {
    const auto s = stored.find(id);
    const auto r = replayed.find(id);
    const std::string in_log = s == stored.end() ? "nothing" : shown(s->second);
    const std::string in_replay = r == replayed.end() ? "nothing" : shown(r->second);
    if (in_log != in_replay) {
      return "participant " + std::to_string(id) + " received " + in_log + " in the log but " +
             in_replay + " in the replay";
    }
  }
  return "the deliveries are spelled differently: " + shown(stored_text);
}

// The first difference between the stored and the replayed state, for a
// person; "" when none is found beyond the digest.
std::string describe_state(const Session& stored, const Session& replayed) {
  auto differs = [](const std::string& what, const std::string& db, const std::string& replay) {
    return what + " is " + db + " in the database but " + replay + " after replay";
  };
  const bool several = stored.games().size() > 1;
  auto round_of = [several](const Game& game, int round) {
    return (several ? " of " + game.name() : std::string()) +
           (game.num_rounds() > 1 ? " in round " + std::to_string(round) : std::string());
  };
  for (uint32_t id = 1; id <= stored.participant_count(); ++id) {
    const Participant& s = stored.participant(id);
    const Participant& r = replayed.participant(id);
    const std::string who = "participant " + std::to_string(id);
    if (s.label != r.label) {
      return differs(who + "'s label", Json(s.label).dump(), Json(r.label).dump());
    }
    if (s.page != r.page) {
      return differs(who + "'s page", stored.describe_page(s.page), replayed.describe_page(r.page));
    }
    for (size_t f = 0; f < s.fields.size(); ++f) {
      if (s.fields[f].dump() != r.fields[f].dump()) {
        return differs(who + "'s " + stored.participant_fields()[f].name, shown(s.fields[f]),
                       shown(r.fields[f]));
      }
    }
  }
  for (size_t i = 0; i < stored.players().size(); ++i) {
    const Player& s = stored.players()[i];
    const Player& r = replayed.players()[i];
    for (size_t f = 0; f < s.fields().size(); ++f) {
      if (s.fields()[f].dump() != r.fields()[f].dump()) {
        return differs("player " + std::to_string(s.id_in_session()) +
                           round_of(s.game(), s.round_number()) + " " +
                           s.game().player_fields()[f].name,
                       shown(s.fields()[f]), shown(r.fields()[f]));
      }
    }
  }
  for (size_t g = 0; g < stored.groups().size(); ++g) {
    const Group& s = stored.groups()[g];
    const Group& r = replayed.groups()[g];
    for (size_t f = 0; f < s.fields().size(); ++f) {
      if (s.fields()[f].dump() != r.fields()[f].dump()) {
        return differs("group " + std::to_string(s.id_in_subsession()) +
                           round_of(s.game(), s.round_number()) + " " +
                           s.game().group_fields()[f].name,
                       shown(s.fields()[f]), shown(r.fields()[f]));
      }
    }
  }
  for (size_t table = 0; table < stored.table_count(); ++table) {
    const Game& game = *stored.games()[stored.table_app(table)];
    const std::string& name = game.record_types()[stored.table_type(table).index].name;
    const auto& s = stored.table(table);
    const auto& r = replayed.table(table);
    for (size_t row = 0; row < s.size() && row < r.size(); ++row) {
      if (s[row].group != r[row].group || s[row].participant != r[row].participant ||
          Json(s[row].values).dump() != Json(r[row].values).dump()) {
        return differs(name + " record " + std::to_string(row + 1),
                       shown(Json(s[row].values)) + " of participant " +
                           std::to_string(s[row].participant + 1),
                       shown(Json(r[row].values)) + " of participant " +
                           std::to_string(r[row].participant + 1));
      }
    }
    if (s.size() != r.size()) {
      return "there are " + std::to_string(s.size()) + " " + name +
             " records in the database but " + std::to_string(r.size()) + " after replay";
    }
  }
  return "";
}

}  // namespace

Status replay_session(SqlStore& store, const StoredSession& stored_info, const GameLookup& games,
                      ReplayResult* out) {
  *out = ReplayResult{};
  auto diverge = [out](uint64_t seq, std::string what) {
    out->matches = false;
    out->divergent_seq = seq;
    out->divergence = std::move(what);
    return Status();
  };
  store::Database* db = &store.database();
  try {
    // The log and the stored state from one snapshot, so that a server
    // writing meanwhile cannot make them disagree.
    store::ReadSnapshot snapshot(db);
    std::optional<StoredSession> current;
    if (Status status = store.find_session(stored_info.code, &current); !status.ok()) return status;
    if (!current) return Status::Error(store.path() + " has no session " + stored_info.code);
    const StoredSession& info = *current;
    std::vector<const Game*> played;
    for (const std::string& name : info.game_names()) {
      const Game* game = games(name);
      if (!game) return diverge(0, "this livectl has no game '" + name + "'");
      played.push_back(game);
    }

    SessionConfig config = info.session_config();
    {
      // Labels are not taken: the arrive events that gave them are replayed.
      Statement query(db,
                      "SELECT code FROM participants WHERE session = ?1 ORDER BY id_in_session");
      query.bind(1, std::string_view(info.code));
      while (query.next()) config.participant_codes.push_back(query.column_text(0));
    }
    MemoryStore memory(/*keep_log=*/false);
    std::unique_ptr<Session> replayed;
    try {
      replayed = std::make_unique<Session>(played, memory, config);
    } catch (const std::invalid_argument& e) {
      return diverge(0, "its configuration does not fit " + info.game + ": " + e.what());
    }

    Statement events(db, std::string("SELECT seq, participant, kind, page_claimed, time_ms, data, "
                                     "error, deliveries, page_changes, group_hash FROM events "
                                     "WHERE session = ?1 ORDER BY ") +
                             db->event_order());
    events.bind(1, std::string_view(info.code));
    events.stream_rows();
    uint64_t expected = 1;
    std::string deliveries;
    Event event;
    while (events.next()) {
      const auto seq = static_cast<uint64_t>(events.column_int(0));
      if (seq != expected)
        return diverge(expected, "the log has no event " + std::to_string(expected));
      const std::string kind = events.column_text(2);
      if (!store::parse_event_kind(kind, &event.kind)) {
        return diverge(seq, "the log gives it the unknown kind '" + kind + "'");
      }
      event.participant = static_cast<uint32_t>(events.column_int(1));
      event.page = events.is_null(3) ? -1 : static_cast<int32_t>(events.column_int(3));
      event.time_ms = events.column_int(4);
      event.data = nullptr;
      if (!events.is_null(5)) {
        event.data = Json::parse(events.column_text(5), nullptr, /*allow_exceptions=*/false);
        if (event.data.is_discarded()) return diverge(seq, "its data in the log is not JSON");
      }

      const EventResult& result = replayed->apply(event);
      out->events = seq;
      const bool rejected_in_log = !events.is_null(6);
      if (rejected_in_log != result.error.has_value()) {
        return diverge(seq, rejected_in_log ? "the log rejected it (\"" + events.column_text(6) +
                                                  "\") but the replay accepted it"
                                            : "the log accepted it but the replay rejected it (\"" +
                                                  *result.error + "\")");
      }
      if (rejected_in_log) {
        if (events.column_text(6) != *result.error) {
          return diverge(seq, "the log rejected it with \"" + events.column_text(6) +
                                  "\" but the replay with \"" + *result.error + "\"");
        }
      } else {
        store::deliveries_json(result, &deliveries);
        const std::string stored = events.column_text(7);
        if (stored != deliveries) return diverge(seq, describe_deliveries(stored, result));
        const std::string pages = store::page_changes_json(result);
        if (events.column_text(8) != pages) {
          return diverge(seq, "the log moved the pages of " +
                                  (events.is_null(8) ? "nobody" : events.column_text(8)) +
                                  " but the replay of " + (pages.empty() ? "nobody" : pages));
        }
      }
      if (!events.is_null(9) && event.participant >= 1 &&
          event.participant <= replayed->participant_count()) {
        if (!replayed->player(event.participant).has_group()) {
          return diverge(seq,
                         "the sender had a group after it when it was recorded, but none "
                         "in the replay");
        }
        const Group& group = replayed->player(event.participant).group();
        if (static_cast<uint64_t>(events.column_int(9)) != replayed->group_hash(group)) {
          return diverge(seq, "group " + std::to_string(group.id_in_subsession()) +
                                  " is in another state after it than when it was recorded");
        }
      }
      ++expected;
    }
    out->digest = replayed->digest();
    if (info.last_seq != out->events) {
      return diverge(0, "the log ends at event " + std::to_string(out->events) +
                            " but the session's last_seq is " + std::to_string(info.last_seq));
    }

    MemoryStore unused(/*keep_log=*/false);
    std::unique_ptr<Session> stored;
    if (Status status = store.load_session(info.code, played, &stored, &unused); !status.ok()) {
      return diverge(0, "its stored state cannot be loaded: " + status.message());
    }
    if (stored->digest() != out->digest) {
      std::string what = describe_state(*stored, *replayed);
      if (what.empty()) what = "the stored state differs from the replayed one";
      return diverge(
          0, what + " (digest " + stored->digest() + " stored, " + out->digest + " replayed)");
    }
    if (stored->now_ms() != replayed->now_ms()) {
      return diverge(0, "the stored session clock is " + std::to_string(stored->now_ms()) +
                            " ms but " + std::to_string(replayed->now_ms()) + " ms after replay");
    }
    if (stored->rng().state() != replayed->rng().state()) {
      return diverge(0, "the stored random generator state differs from the replayed one");
    }
  } catch (const store::DatabaseError& e) {
    return store.database().error(e);
  } catch (const std::exception& e) {
    // A damaged database can hold anything; whatever it makes throw is an
    // error of this replay, never an exception out of it.
    return Status::Error("session " + stored_info.code + " could not be replayed: " + e.what());
  }
  out->matches = true;
  return Status();
}

}  // namespace livectl
