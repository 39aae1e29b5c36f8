#pragma once
// Two games played one after the other in one session (oTree's
// app_sequence), for testing what the games share (participants, their
// fields, parameters) and what each keeps (rounds, groups, fields, records).
#include "engine/session.h"

namespace livectl::testing {

// "first": pairs, two rounds, rematched in round 2. Pages "play" (live) and
// "results". Every message counts in the player's, the group's and the
// participant's fields, adds a note and pays one point.
class FirstApp final : public Game {
 public:
  FirstApp() : Game("first", "pairs send messages", 2, 2) {
    page("play", PageKind::kLive, "play.html");
    page("results", PageKind::kPlain, "results.html");
  }
  void creating_session(Subsession& subsession) const override {
    if (subsession.round_number() == 2) subsession.group_randomly();
    for (Group* group : subsession.groups()) (*group)[round_seen] = subsession.round_number();
  }
  Outbox live_method(Player& player, const Json& data) const override {
    if (data == "fail") return reject("refused");
    player[sent] += 1;
    player[payoff] += 1;
    player[carried] += 1;
    player.group()[total] += 1;
    player.add_record(notes, {data.dump()});
    return send_to_group(player[carried].json());
  }
  LIVECTL_PARAM(int64_t, bonus, 5);
  LIVECTL_PLAYER_FIELD(int64_t, sent, 0);
  LIVECTL_GROUP_FIELD(int64_t, total, 0);
  LIVECTL_GROUP_FIELD(int64_t, round_seen);
  LIVECTL_PARTICIPANT_FIELD(int64_t, carried, 0);
  const RecordType notes = record_type("notes", {{"text", FieldType::kString}});
};

// "second": groups of three, two rounds. Pages "answer" (a form), "chat"
// (live) and "done". A message pays the session's bonus and tells the
// group what the sender carried from the first game.
class SecondApp final : public Game {
 public:
  SecondApp() : Game("second", "threes answer and chat", 3, 2) {
    page("answer", PageKind::kPlain, "answer.html")
        .form_field(answer, FieldOptions().min(0).max(10));
    page("chat", PageKind::kLive, "chat.html");
    page("done", PageKind::kPlain, "done.html");
  }
  void creating_session(Subsession& subsession) const override {
    for (Group* group : subsession.groups()) (*group)[round_seen] = subsession.round_number();
  }
  Outbox live_method(Player& player, const Json& data) const override {
    if (data == "fail") {
      player[carried] = 1000;  // rolled back with the event
      return reject("refused");
    }
    player[payoff] = static_cast<double>(player.session()[bonus]);
    player.group()[messages] += 1;
    player.add_record(notes, {player.round_number()});
    return send_to_group(player[carried].json());
  }
  LIVECTL_PARAM(int64_t, bonus, 7);  // shared by name: the first game's default wins
  LIVECTL_PLAYER_FIELD(int64_t, answer);
  LIVECTL_GROUP_FIELD(int64_t, messages, 0);
  LIVECTL_GROUP_FIELD(int64_t, round_seen);
  LIVECTL_PARTICIPANT_FIELD(int64_t, carried, 0);  // shared by name with the first game
  const RecordType notes = record_type("notes", {{"round", FieldType::kInteger}});
};

}  // namespace livectl::testing
