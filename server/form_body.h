#pragma once
// The body of a participant's page POST: application/x-www-form-urlencoded,
// as browsers send a <form>'s named inputs, and the form values of a page
// taken from it (docs/protocol.md, "POST /p/<code>").
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/game.h"
#include "engine/json.h"

namespace livectl::server {

// The body's name=value pairs, in order, each %-decoded with '+' read as a
// space (the WHATWG URL standard's parser): "a=1+2&b=%C3%A9" is
// {{"a", "1 2"}, {"b", "é"}}. A '%' without two hex digits after it stays
// as it is; a pair without '=' has the value "". Bytes that are not UTF-8
// are left for the caller. Never throws but for memory.
std::vector<std::pair<std::string, std::string>> parse_form_body(std::string_view body);

// The values of `page`'s form fields in `body` ({"answer": "42"}, as typed:
// the engine reads them as the fields' types), for Event::data: a field not
// in the body is left out (the engine then says it is required), a name
// sent twice counts with its last value (a browser sends a name once),
// any other name is ignored, and bytes that are not UTF-8 become U+FFFD, as
// a browser decodes them. Null for a page without form fields, whatever
// the body holds.
Json page_form_values(const Game& game, const PageSpec& page, std::string_view body);

}  // namespace livectl::server
