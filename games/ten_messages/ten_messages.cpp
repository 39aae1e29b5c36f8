// ten_messages: oTree's "keeping users on the page" example. A group of two
// exchanges messages of any content; from the 10th message on, each message
// tells the whole group that the game is finished, and the page then
// submits itself.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/bot.h"
#include "engine/invariant.h"
#include "engine/registry.h"
#include "engine/session.h"

namespace livectl {
namespace {

// The group's message count at which the game finishes, as in oTree's example.
constexpr int64_t kMessagesToFinish = 10;

Json game_finished_payload() {
  return object({{"type", "game_finished"}});
}

class TenMessages final : public Game {
 public:
  TenMessages()
      : Game("ten_messages",
             "two players stay on the live page until the group has sent 10 messages", 2) {
    // Until the partner has opened their link.
    page("waiting", PageKind::kWait, "");
    page("live", PageKind::kLive, "live.html");
    page("results", PageKind::kPlain, "results.html");
  }

  // Every JSON value is a message; none is rejected.
  Outbox live_method(Player& player, const Json& /*message*/) const override {
    player[messages_sent] += 1;
    Group& group = player.group();
    group[num_messages] += 1;
    if (group[num_messages] < kMessagesToFinish) return {};
    group[game_finished] = true;
    return send_to_group(game_finished_payload());
  }

  std::unique_ptr<Bot> make_bot(int id_in_group, int group_size) const override;
  std::vector<std::unique_ptr<Invariant>> make_invariants() const override;

  // Messages from every member of the group, including those after the 10th.
  LIVECTL_GROUP_FIELD(int64_t, num_messages, 0);
  LIVECTL_GROUP_FIELD(bool, game_finished, false);
  // This player's own messages.
  LIVECTL_PLAYER_FIELD(int64_t, messages_sent, 0);
};

// Sends small payloads of assorted JSON types until it hears that the game is
// finished, then submits the live page. It never waits: the only broadcast is
// game_finished, so a waiting bot would never be woken before the end.
class TenMessagesBot final : public Bot {
 public:
  BotAction act(const PageSpec& page, Rng& rng) override {
    if (page.kind != PageKind::kLive) return BotAction::done();
    if (finished_) return BotAction::submit();
    return BotAction::send(random_message(rng));
  }
  void on_receive(const Json& payload) override {
    if (payload == game_finished_payload()) finished_ = true;
  }

 private:
  static Json random_message(Rng& rng) {
    switch (rng.below(5)) {
      case 0:
        return rng.between(-100, 100);
      case 1:
        return {{"text", "hello " + std::to_string(rng.below(1000))}};
      case 2:
        return "hi";
      case 3:
        return Json::object();
      default:
        return nullptr;
    }
  }

  bool finished_ = false;
};

// An accepted liveSend from a participant: one message of the sender's group.
bool is_counted_message(const Event& event, const EventResult& result) {
  return event.kind == EventKind::kLive && !result.error;
}

// Events naming no participant were rejected and touch no group.
// Shadow message counts, one per group, built from the events alone.
class GroupMessageCounts {
 public:
  // The sender's group's count after `event`.
  int64_t update(const Session& session, const Player& sender, const Event& event,
                 const EventResult& result) {
    if (counts_.empty()) counts_.assign(session.groups().size(), 0);
    int64_t& count = counts_[sender.group().id_in_subsession() - 1];
    if (is_counted_message(event, result)) ++count;
    return count;
  }

 private:
  std::vector<int64_t> counts_;
};

std::string messages(int64_t count) {
  return std::to_string(count) + (count == 1 ? " message" : " messages");
}

std::string group_name(const Group& group) {
  return "group " + std::to_string(group.id_in_subsession());
}

class NumMessagesCountsEveryMessage final : public Invariant {
 public:
  explicit NumMessagesCountsEveryMessage(const TenMessages& game) : game_(game) {}
  std::string_view name() const override {
    return "num_messages equals the number of messages the group's members have sent";
  }
  std::optional<std::string> check(const Session& session, const Event& event,
                                   const EventResult& result) override {
    const Player* sender = session.find_player(event.participant);
    if (!sender) return {};
    const int64_t sent = counts_.update(session, *sender, event, result);
    const Group& group = sender->group();
    if (group[game_.num_messages] != sent) {
      return group_name(group) + " has num_messages " + group[game_.num_messages].json().dump() +
             " but its members have sent " + messages(sent);
    }
    return {};
  }

 private:
  const TenMessages& game_;
  GroupMessageCounts counts_;
};

class MessagesSentCountsOwnMessages final : public Invariant {
 public:
  explicit MessagesSentCountsOwnMessages(const TenMessages& game) : game_(game) {}
  std::string_view name() const override {
    return "each player's messages_sent equals the number of messages they have sent";
  }
  std::optional<std::string> check(const Session& session, const Event& event,
                                   const EventResult& result) override {
    const Player* sender = session.find_player(event.participant);
    if (!sender) return {};
    if (sent_.empty()) sent_.assign(session.participant_count(), 0);
    int64_t& sent = sent_[event.participant - 1];
    if (is_counted_message(event, result)) ++sent;
    if ((*sender)[game_.messages_sent] != sent) {
      return "participant " + std::to_string(event.participant) + " has messages_sent " +
             (*sender)[game_.messages_sent].json().dump() + " but has sent " + messages(sent);
    }
    return {};
  }

 private:
  const TenMessages& game_;
  std::vector<int64_t> sent_;  // [participant index]
};

class GameFinishedFromTheTenthMessage final : public Invariant {
 public:
  explicit GameFinishedFromTheTenthMessage(const TenMessages& game) : game_(game) {}
  std::string_view name() const override {
    return "game_finished is true exactly when num_messages is at least 10";
  }
  std::optional<std::string> check(const Session& session, const Event& event,
                                   const EventResult&) override {
    const Player* sender = session.find_player(event.participant);
    if (!sender) return {};
    const Group& group = sender->group();
    const bool should_be_finished = group[game_.num_messages] >= kMessagesToFinish;
    if (group[game_.game_finished] != should_be_finished) {
      return group_name(group) + " has game_finished " + group[game_.game_finished].json().dump() +
             " with num_messages " + group[game_.num_messages].json().dump();
    }
    return {};
  }

 private:
  const TenMessages& game_;
};

// Every message from the 10th on sends game_finished, once, to each member of
// the group still on the live page; every other event sends nothing.
class GameFinishedIsBroadcastFromTheTenthMessage final : public Invariant {
 public:
  std::string_view name() const override {
    return "every message from the 10th on broadcasts game_finished to the group and nothing "
           "else is ever sent";
  }
  std::optional<std::string> check(const Session& session, const Event& event,
                                   const EventResult& result) override {
    const Player* sender = session.find_player(event.participant);
    if (!sender) return {};
    const int64_t sent = counts_.update(session, *sender, event, result);
    const std::string which = "event " + std::to_string(result.seq);
    if (!is_counted_message(event, result) || sent < kMessagesToFinish) {
      if (!result.deliveries.empty()) {
        return which + " (message " + std::to_string(sent) + " of " + group_name(sender->group()) +
               ") sent " + result.payloads.front() + " to participant " +
               std::to_string(result.deliveries.front().participant);
      }
      return {};
    }
    if (result.payload_values.size() != 1 || result.payload_values[0] != game_finished_payload()) {
      return "message " + std::to_string(sent) + " of " + group_name(sender->group()) +
             " did not send exactly {\"type\":\"game_finished\"}";
    }
    const Group& group = sender->group();
    size_t delivery = 0;
    for (int id = 1; id <= group.size(); ++id) {
      const Player& member = group.player(id);
      if (session.page_of(member).kind != PageKind::kLive) continue;
      const uint32_t participant = member.participant().id_in_session;
      if (delivery >= result.deliveries.size() ||
          result.deliveries[delivery].participant != participant) {
        return "message " + std::to_string(sent) + " of " + group_name(group) +
               " did not reach participant " + std::to_string(participant) + " on the live page";
      }
      ++delivery;
    }
    if (delivery != result.deliveries.size()) {
      return "message " + std::to_string(sent) + " of " + group_name(group) +
             " reached a participant who is not on the live page";
    }
    return {};
  }

 private:
  GroupMessageCounts counts_;
};

std::unique_ptr<Bot> TenMessages::make_bot(int, int) const {
  return std::make_unique<TenMessagesBot>();
}

std::vector<std::unique_ptr<Invariant>> TenMessages::make_invariants() const {
  std::vector<std::unique_ptr<Invariant>> invariants;
  invariants.push_back(std::make_unique<NumMessagesCountsEveryMessage>(*this));
  invariants.push_back(std::make_unique<MessagesSentCountsOwnMessages>(*this));
  invariants.push_back(std::make_unique<GameFinishedFromTheTenthMessage>(*this));
  invariants.push_back(std::make_unique<GameFinishedIsBroadcastFromTheTenthMessage>());
  return invariants;
}

}  // namespace
}  // namespace livectl

LIVECTL_GAME(ten_messages, livectl::TenMessages)
