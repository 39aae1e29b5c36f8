#pragma once
// The admin pages' password check: HTTP Basic authentication (RFC 7617),
// which every browser and curl speak without a login page or cookies. The
// user name is ignored; only the password counts.
#include <optional>
#include <string>
#include <string_view>

namespace livectl::server {

// The password in an Authorization header value such as
// "Basic YWRtaW46c2VjcmV0" ("admin:secret" → "secret"). nullopt when the
// header is empty, names another scheme, is not base64, or decodes to text
// without a colon. The scheme's name is case-insensitive (RFC 7235).
std::optional<std::string> basic_auth_password(std::string_view authorization);

// Whether `given` equals `expected`, in a time that depends on the length
// of `given` only (which whoever sent it knows), never on how much of
// `expected` it got right. REQUIRES: `expected` is not empty.
bool same_secret(std::string_view given, std::string_view expected);

// The value of the WWW-Authenticate header that asks a browser for the
// password.
inline constexpr std::string_view kAdminChallenge =
    "Basic realm=\"livectl admin\", charset=\"UTF-8\"";

}  // namespace livectl::server
