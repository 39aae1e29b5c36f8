#pragma once
// Text helpers for messages the engine and the server write: texts that are
// cut to a length must stay valid UTF-8, or they could not be serialized.
#include <cstddef>
#include <string>
#include <string_view>

namespace livectl {

// The longest prefix of `text` that is at most `max_bytes` long and does not
// end inside a UTF-8 sequence. Bytes that are not UTF-8 at all are left for
// the caller (see valid_utf8); only the cut is made safe.
inline std::string_view cut_utf8(std::string_view text, size_t max_bytes) {
  if (text.size() <= max_bytes) return text;
  size_t end = max_bytes;
  // Step back over continuation bytes (10xxxxxx) to the start of the
  // character that the cut would split, and drop that character.
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
  return text.substr(0, end);
}

// True when `text` is well-formed UTF-8 (RFC 3629: no overlong forms, no
// surrogates, nothing above U+10FFFF).
bool valid_utf8(std::string_view text);

// `text` with every ill-formed byte replaced by U+FFFD, as browsers decode.
std::string repair_utf8(std::string_view text);

}  // namespace livectl
