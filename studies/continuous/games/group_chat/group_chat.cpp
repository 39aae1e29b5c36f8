// A group chat (after otree-snippets' chat and oTree's live pages
// documentation): groups of three on one live page. Every message is a
// record; the page opts into its history, so a page that is opened,
// reloaded or reconnected, also after a server restart, shows the whole chat
// so far without the game storing or sending history itself. Any text a
// person can type is kept as typed (emoji, any script, quotes, markup); a
// message is at most `max_characters` characters (Unicode code points).
// Members who leave (no page open for a few seconds) and come back are
// announced in the chat.
#include <livectl/livectl.h>

#include <memory>
#include <string>
#include <vector>

namespace {

using namespace livectl;

// Unicode code points in valid UTF-8 text: the bytes that start one.
int64_t characters(const std::string& text) {
  int64_t count = 0;
  for (const char c : text) count += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return count;
}

bool blank(const std::string& text) {
  for (const char c : text) {
    if (c != ' ' && c != '\t' && c != '\n' && c != '\r') return false;
  }
  return true;
}

class GroupChat final : public Game {
 public:
  GroupChat() : Game("group_chat", "a group of three chats; every page shows the chat so far", 3) {
    page("chat", PageKind::kLive, "chat.html").with_history();
    page("finished", PageKind::kPlain, "finished.html");
  }

  Outbox live_method(Player& player, const Json& data) const override {
    const Json* text =
        data.is_object() && data.size() == 1 && data.contains("text") && data["text"].is_string()
            ? &data["text"]
            : nullptr;
    if (!text) return reject("send {\"text\": \"your message\"}");
    const std::string& message = text->get_ref<const std::string&>();
    const int64_t most = player.session()[max_characters];
    if (blank(message)) return reject("a message needs some text");
    if (const int64_t length = characters(message); length > most) {
      return reject("a message is at most " + std::to_string(most) + " characters, not " +
                    std::to_string(length));
    }
    Group& group = player.group();
    group[messages] += 1;
    player.add_record(message_record, {*text, player.session().now_ms()});
    return send_to_group(
        object({{"n", group[messages].json()}, {"from", player.id_in_group()}, {"text", *text}}));
  }

  // Tells the group when a member leaves (no page open for a few seconds)
  // and comes back; the page shows it in the chat, and it is part of the
  // history.
  Outbox on_presence(Player& player, bool present) const override {
    return send_to_group(object({{"from", player.id_in_group()}, {"present", present}}));
  }

  Json js_vars(const Player& player) const override {
    return object({{"id_in_group", player.id_in_group()},
                   {"max_characters", player.session()[max_characters]}});
  }

  std::unique_ptr<Bot> make_bot(int id_in_group, int group_size) const override;
  std::vector<std::unique_ptr<Invariant>> make_invariants() const override;

  LIVECTL_PARAM(int64_t, max_characters, 280);
  LIVECTL_GROUP_FIELD(int64_t, messages, 0);
  // Every message: its text as typed and the session time it was sent at.
  const RecordType message_record =
      record_type("message", {{"text", FieldType::kString}, {"sent_ms", FieldType::kInteger}});
};

// Says a few things in several scripts, tries one message that is too
// long, then leaves.
class Chatter final : public Bot {
 public:
  BotAction act(const PageSpec& page, Rng& rng) override {
    if (page.name != "chat") return BotAction::done();
    static const char* const kSayings[] = {"hello",
                                           "👋🏽 héllo",
                                           "世界",
                                           "مرحبا",
                                           "e\xCC\x81t\xC3\xA9",
                                           "\"quoted\" <b>not bold</b>",
                                           "👨‍👩‍👧 family",
                                           "line\nbreak"};
    if (said_ < 3) {
      ++said_;
      return BotAction::send(object({{"text", kSayings[rng.below(std::size(kSayings))]}}));
    }
    if (!tried_long_) {
      tried_long_ = true;
      return BotAction::send(object({{"text", std::string(281, 'x')}}));  // refused
    }
    return BotAction::submit();
  }
  void on_receive(const Json&) override {}

 private:
  int said_ = 0;
  bool tried_long_ = false;
};

std::unique_ptr<Bot> GroupChat::make_bot(int, int) const {
  return std::make_unique<Chatter>();
}

// Every accepted message is the group's latest record, within the limit,
// and reaches every member still on the chat page.
class MessagesAreKeptAndShared final : public Invariant {
 public:
  explicit MessagesAreKeptAndShared(const GroupChat& game) : game_(game) {}
  std::string_view name() const override {
    return "a message is kept as sent and reaches everyone in the chat";
  }
  std::optional<std::string> check(const Session& session, const Event& event,
                                   const EventResult& result) override {
    if (event.kind != EventKind::kLive || result.error) return {};
    const Player& sender = session.player(event.participant);
    if (&sender.game() != &game_) return {};
    const Group& group = sender.group();
    const std::vector<const Record*> rows = group.records(game_.message_record);
    if (rows.empty() || static_cast<int64_t>(rows.size()) != group[game_.messages] ||
        rows.back()->values[0] != event.data["text"]) {
      return "group " + std::to_string(group.id_in_subsession()) +
             "'s records do not end with the message just sent";
    }
    if (characters(rows.back()->values[0].get<std::string>()) > session[game_.max_characters]) {
      return "a message over the limit was kept";
    }
    size_t in_chat = 0;
    for (const Player* member : group.players()) {
      in_chat += session.page_of(*member).name == "chat";
    }
    if (result.deliveries.size() != in_chat) {
      return "a message reached " + std::to_string(result.deliveries.size()) + " of the " +
             std::to_string(in_chat) + " members in the chat";
    }
    return {};
  }

 private:
  const GroupChat& game_;
};

std::vector<std::unique_ptr<Invariant>> GroupChat::make_invariants() const {
  std::vector<std::unique_ptr<Invariant>> checks;
  checks.push_back(std::make_unique<MessagesAreKeptAndShared>(*this));
  return checks;
}

}  // namespace

LIVECTL_GAME(group_chat, GroupChat)
