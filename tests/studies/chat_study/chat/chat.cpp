// chat: pairs formed by arrival time, for the test study livectl_chat_test
// (tests/CMakeLists.txt). Its scenarios (../scenarios) pin arrival order and
// the solo path; tests/studies/chat_serve_test.py serves it over real
// sockets, restarts it with someone waiting and replays it.
//
// oTree's version:
//     class C(BaseConstants):
//         PLAYERS_PER_GROUP = 2
//         NUM_ROUNDS = 2
//     class Match(WaitPage):
//         group_by_arrival_time = True
//         def is_displayed(player): return player.round_number == 1
//     def group_by_arrival_time_method(subsession, waiting_players):
//         if len(waiting_players) >= 2: return waiting_players[:2]
//         for player in waiting_players:
//             if waiting_too_long(player): return [player]   # 60 s
//     class Chat(Page):
//         live_method = ...
//         def is_displayed(player): return len(player.group.get_players()) == 2
//     class Alone(Page):
//         def is_displayed(player): return len(player.group.get_players()) == 1
#include <livectl/livectl.h>

namespace {

using namespace livectl;

bool paired(const Player& player) {
  return player.group().size() == 2;
}

class Chat final : public Game {
 public:
  Chat() : Game("chat", "pairs formed as participants arrive; alone after a minute", 2, 2) {
    page("match", PageKind::kWait, "", /*timeout_ms=*/60000)
        .group_by_arrival_time(ArrivalFallback::kAlone)
        .is_displayed([](const Player& player) { return player.round_number() == 1; });
    page("chat", PageKind::kLive, "chat.html").is_displayed(paired);
    page("alone", PageKind::kPlain, "alone.html").is_displayed([](const Player& player) {
      return !paired(player);
    });
    page("results", PageKind::kPlain, "results.html");
  }

  // {"text": "..."} goes to both, with who wrote it; it counts for the pair.
  Outbox live_method(Player& player, const Json& data) const override {
    if (!data.is_object() || !data.contains("text") || !data["text"].is_string()) {
      return reject("a message is {\"text\": \"...\"}");
    }
    Group& group = player.group();
    group[messages] += 1;
    player[sent] += 1;
    return send_to_group(object({{"from", player.id_in_group()}, {"text", data["text"]}}));
  }

  // Says hello once on the chat page, then goes on.
  std::unique_ptr<Bot> make_bot(int, int) const override {
    class Chatter final : public Bot {
     public:
      BotAction act(const PageSpec& page, Rng&) override {
        if (page.name == "chat" && !said_) {
          said_ = true;
          return BotAction::send(object({{"text", "hello"}}));
        }
        if (page.name == "results" && round_done_++ > 0) return BotAction::done();
        if (page.name != "match") {
          if (page.name == "results") said_ = false;
          return BotAction::submit();
        }
        return BotAction::wait();
      }
      void on_receive(const Json&) override {}

     private:
      bool said_ = false;
      int round_done_ = 0;
    };
    return std::make_unique<Chatter>();
  }

  LIVECTL_GROUP_FIELD(int64_t, messages, 0);
  LIVECTL_PLAYER_FIELD(int64_t, sent, 0);
};

}  // namespace

LIVECTL_GAME(chat, Chat)
