#pragma once
// Typed fields: a field's C++ type is fixed where the game declares it, and
// reads and writes go through that type.
//
//   LIVECTL_GROUP_FIELD(int64_t, num_messages, 0);   // in the Game subclass
//   group[num_messages] += 1;                        // in live_method
//   if (!group[highest_bidder].is_set()) ...
//
// C++ type -> field type: int64_t (or int) integer, double number, bool
// boolean, std::string string. Included by engine/session.h.
#include <cstdint>
#include <initializer_list>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include "engine/game.h"
#include "engine/json.h"

namespace livectl {

template <class T>
constexpr FieldType field_type_of() {
  if constexpr (std::is_same_v<T, bool>) {
    return FieldType::kBoolean;
  } else if constexpr (std::is_integral_v<T>) {
    static_assert(sizeof(T) <= sizeof(int64_t) && std::is_signed_v<T>,
                  "an integer field is int64_t (or int)");
    return FieldType::kInteger;
  } else if constexpr (std::is_floating_point_v<T>) {
    return FieldType::kNumber;
  } else {
    static_assert(std::is_same_v<T, std::string>,
                  "a field's type is int64_t, int, double, bool or std::string");
    return FieldType::kString;
  }
}

// A value as a field of type T stores it. An integral double within 2^53 is
// stored as an integer, as JavaScript would print it (5, not 5.0).
template <class T>
Json field_json(const T& value) {
  if constexpr (std::is_floating_point_v<T>) {
    constexpr double kExact = 9007199254740992.0;  // 2^53
    const double number = static_cast<double>(value);
    // NaN and infinity are stored as they are (and refused by the field).
    if (number > -kExact && number < kExact &&
        number == static_cast<double>(static_cast<int64_t>(number))) {
      return static_cast<int64_t>(number);
    }
    return number;
  } else {
    return value;
  }
}

// One field of one group or player. Reading a field that is not set throws
// std::logic_error ("group field highest_bidder is not set"), which inside
// live_method fails the event like any exception; a write is checked as
// Group::set / Player::set check it. Owner is Group or Player, const for a
// read-only reference.
template <class T, class Owner, class Handle>
class FieldRef {
  // A C++ value a field of type T compares with directly (JSON has its own overloads).
  template <class U>
  static constexpr bool Comparable =
      !std::is_same_v<U, Json> && !std::is_same_v<U, FieldRef> &&
      (std::is_arithmetic_v<U> || std::is_convertible_v<const U&, const T&>);

 public:
  FieldRef(Owner& owner, Handle handle) : owner_(owner), handle_(handle) {}

  // The stored JSON value (null while unset): for payloads and comparisons.
  const Json& json() const { return owner_.get(handle_); }
  bool is_set() const { return !json().is_null(); }
  T value_or(T fallback) const { return is_set() ? json().template get<T>() : fallback; }
  operator T() const {  // NOLINT: a field reads as its value
    const Json& value = json();
    if (value.is_null()) throw std::logic_error(owner_.field_name(handle_) + " is not set");
    return value.template get<T>();
  }

  FieldRef& operator=(const T& value) {
    owner_.set(handle_, field_json(value));
    return *this;
  }
  // A JSON value as it is (a number from liveSend data keeps its spelling).
  FieldRef& operator=(const Json& value) {
    owner_.set(handle_, value);
    return *this;
  }
  // A string literal, for a string field.
  FieldRef& operator=(const char* value) requires std::is_same_v<T, std::string> {
    owner_.set(handle_, Json(value));
    return *this;
  }
  FieldRef& operator=(std::nullptr_t) {
    owner_.set(handle_, nullptr);
    return *this;
  }
  FieldRef& operator=(const FieldRef& other) { return *this = other.json(); }
  FieldRef& operator+=(const T& delta) { return *this = static_cast<T>(*this) + delta; }
  FieldRef& operator-=(const T& delta) { return *this = static_cast<T>(*this) - delta; }
  FieldRef& operator++() { return *this += 1; }
  FieldRef& operator--() { return *this -= 1; }

  // Compared with JSON (liveSend data) as JSON values compare: data > group[highest_bid].
  friend bool operator==(const FieldRef& a, const Json& b) { return a.json() == b; }
  friend bool operator<(const FieldRef& a, const Json& b) { return a.json() < b; }
  friend bool operator>(const FieldRef& a, const Json& b) { return a.json() > b; }
  friend bool operator<=(const FieldRef& a, const Json& b) { return a.json() <= b; }
  friend bool operator>=(const FieldRef& a, const Json& b) { return a.json() >= b; }
  friend bool operator<(const Json& a, const FieldRef& b) { return a < b.json(); }
  friend bool operator>(const Json& a, const FieldRef& b) { return a > b.json(); }
  friend bool operator<=(const Json& a, const FieldRef& b) { return a <= b.json(); }
  friend bool operator>=(const Json& a, const FieldRef& b) { return a >= b.json(); }
  // Compared with a C++ value as its value: group[pot] < 100 (throws when unset).
  template <class U>
  requires Comparable<U>
  friend bool operator==(const FieldRef& a, const U& b) { return static_cast<T>(a) == b; }
  template <class U>
  requires Comparable<U>
  friend auto operator<=>(const FieldRef& a, const U& b) { return static_cast<T>(a) <=> b; }

 private:
  Owner& owner_;
  Handle handle_;
};

}  // namespace livectl

// Declares a typed field in a Game subclass with its name written once:
//   LIVECTL_GROUP_FIELD(double, highest_bid, 0);
//   LIVECTL_PLAYER_FIELD(std::string, nickname);     // unset (null) at first
#define LIVECTL_GROUP_FIELD(type, name, ...)                                       \
  const ::livectl::GroupFieldOf<type> name {                                       \
    group_field(#name, ::livectl::field_type_of<type>()                            \
                           __VA_OPT__(, ::livectl::field_json<type>(__VA_ARGS__))) \
  }
#define LIVECTL_PLAYER_FIELD(type, name, ...)                                       \
  const ::livectl::PlayerFieldOf<type> name {                                       \
    player_field(#name, ::livectl::field_type_of<type>()                            \
                            __VA_OPT__(, ::livectl::field_json<type>(__VA_ARGS__))) \
  }

// A participant field, one value per participant across all rounds:
//   LIVECTL_PARTICIPANT_FIELD(int64_t, quiz_attempts, 0);
//   player[quiz_attempts] += 1;   // through any of the participant's players
#define LIVECTL_PARTICIPANT_FIELD(type, name, ...)                                       \
  const ::livectl::ParticipantFieldOf<type> name {                                       \
    participant_field(#name, ::livectl::field_type_of<type>()                            \
                                 __VA_OPT__(, ::livectl::field_json<type>(__VA_ARGS__))) \
  }
// A session configuration parameter with its default, read typed:
//   LIVECTL_PARAM(int64_t, endowment, 100);
//   const int64_t e = player.session()[endowment];
#define LIVECTL_PARAM(type, name, default_value)                                               \
  const ::livectl::ParamOf<type> name {                                                        \
    param(#name, ::livectl::field_type_of<type>(), ::livectl::field_json<type>(default_value)) \
  }

namespace livectl {

// One "key": value pair of object(). A field reference stands for its value.
struct Member {
  Member(std::string_view key, Json value) : key(key), value(std::move(value)) {}
  template <class T, class Owner, class Handle>
  Member(std::string_view key, const FieldRef<T, Owner, Handle>& field)
      : key(key), value(field.json()) {}
  std::string_view key;
  mutable Json value;  // moved out of the initializer_list, which is const
};

// A JSON object, built as fast as emplacing key by key:
//   object({{"id_in_group", player.id_in_group()}, {"bid", bid}})
// (nlohmann's own nested-brace form builds a temporary array per pair first).
inline Json object(std::initializer_list<Member> members) {
  Json result(Json::value_t::object);
  for (const Member& member : members) {
    result.emplace(std::string(member.key), std::move(member.value));
  }
  return result;
}

}  // namespace livectl
