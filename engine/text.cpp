#include "engine/text.h"

namespace livectl {

namespace {

// Length of the well-formed UTF-8 sequence at `text[i]`, or 0 when the bytes
// there are not one (RFC 3629, table 3-7 of the Unicode standard). When 0,
// `*maximal_subpart` is how many bytes to replace with one U+FFFD: the
// longest prefix of a valid sequence found there, at least 1 (the Unicode
// standard's "maximal subpart" practice, which browsers' decoders follow).
size_t sequence_length(std::string_view text, size_t i, size_t* maximal_subpart) {
  const auto byte = [&](size_t k) { return static_cast<unsigned char>(text[k]); };
  *maximal_subpart = 1;
  const unsigned char lead = byte(i);
  if (lead < 0x80) return 1;
  size_t length = 0;
  unsigned char low = 0x80;
  unsigned char high = 0xBF;
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    if (lead == 0xE0) low = 0xA0;   // no overlong forms
    if (lead == 0xED) high = 0x9F;  // no surrogates
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    if (lead == 0xF0) low = 0x90;   // no overlong forms
    if (lead == 0xF4) high = 0x8F;  // nothing above U+10FFFF
  } else {
    return 0;
  }
  for (size_t k = 1; k < length; ++k) {
    if (i + k >= text.size()) return 0;
    const unsigned char next = byte(i + k);
    const bool fits = k == 1 ? next >= low && next <= high : (next & 0xC0) == 0x80;
    if (!fits) return 0;
    *maximal_subpart = k + 1;
  }
  return length;
}

}  // namespace

bool valid_utf8(std::string_view text) {
  size_t subpart = 0;
  for (size_t i = 0; i < text.size();) {
    const size_t length = sequence_length(text, i, &subpart);
    if (length == 0) return false;
    i += length;
  }
  return true;
}

std::string repair_utf8(std::string_view text) {
  std::string repaired;
  repaired.reserve(text.size());
  size_t subpart = 0;
  for (size_t i = 0; i < text.size();) {
    const size_t length = sequence_length(text, i, &subpart);
    if (length == 0) {
      repaired += "\xEF\xBF\xBD";  // U+FFFD REPLACEMENT CHARACTER
      i += subpart;
    } else {
      repaired.append(text.substr(i, length));
      i += length;
    }
  }
  return repaired;
}

}  // namespace livectl
