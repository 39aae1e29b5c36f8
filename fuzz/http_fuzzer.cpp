// Target (d): what a participant's or an administrator's HTTP request
// carries, past libwebsockets' own parsing: the path (a participant's code
// after /p/, the admin paths and the session code in them), the
// Authorization header, Host and Origin, and a POST's form body
// (server/admin.h, server/admin_auth.h, SessionHost::find), and a
// participant's form POST body (server/form_body.h).
// (The submit form's page=N and the WebSocket's ?page=N are parsed inside
// http_endpoint.cpp and websocket_endpoint.cpp, which need a live lws
// socket; they are fuzzed here once they are pure functions.)
//
// The bytes give the request's parts; most inputs carry the right password
// so that the fuzzer gets past the 401. Checks: nothing throws; every answer
// has a status the admin documents, a content type and, for a redirect, a
// location on this server; a wrong password is always 401; a participant
// code finds only the participant it belongs to.
#include <algorithm>
#include <memory>
#include <string>

#include "engine/registry.h"
#include "engine/session.h"
#include "fuzz/fuzz_input.h"
#include "games/examples.h"
#include "server/admin.h"
#include "server/admin_auth.h"
#include "server/durability.h"
#include "server/form_body.h"
#include "server/session_host.h"

using livectl::fuzz::FuzzInput;
namespace server = livectl::server;

namespace {

void ignore_wake(lws*) {}

// One served auction session with codes "s1-p1".."s1-p6" and an admin with
// the password "pw", built once and shared by every input: nothing an input
// does changes them (creating a session is refused by the hook).
struct Served {
  Served() : host(durability, server::ServerLimits{}, ignore_wake), admin(host, "pw", hooks()) {
    livectl::SessionConfig config;
    config.participants = 6;
    config.code = "s1";
    for (int i = 1; i <= 6; ++i) config.participant_codes.push_back("s1-p" + std::to_string(i));
    auto session = std::make_unique<livectl::Session>(*livectl::find_game("auction"),
                                                      durability.store(), config);
    if (!host.add_session(std::move(session)).ok()) std::abort();
  }
  static server::AdminHooks hooks() {
    server::AdminHooks hooks;
    hooks.create_session = [](const std::vector<const livectl::Game*>&,
                              const livectl::SessionConfig&, const std::string&, std::string*) {
      return livectl::Status::Error("creating sessions is not fuzzed");
    };
    hooks.export_session = [](const std::string& code, server::ExportFormat,
                              std::vector<server::ExportFile>* files) {
      files->push_back({"sessions.csv", "session " + code});
      return livectl::Status();
    };
    return hooks;
  }
  server::MemoryDurability durability;
  server::SessionHost host;
  server::Admin admin;
};

bool documented_status(int status) {
  switch (status) {
    case 200:
    case 303:
    case 400:
    case 401:
    case 403:
    case 404:
    case 413:
    case 500:
      return true;
    default:
      return false;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  livectl_register_examples();           // as a livectl binary's main does
  static Served* served = new Served();  // never destroyed: outlives every input
  static int64_t now_ms = 0;
  FuzzInput in(data, size);

  const uint8_t mode = in.byte();
  const bool post = mode & 1;
  const bool right_password = (mode & 6) != 0;  // 3 inputs in 4
  const std::string path(in.string());
  const std::string raw_authorization(in.string());
  const std::string host_header(in.string());
  const std::string origin(in.string());
  const std::string form(in.rest());

  try {
    const std::optional<std::string> password = server::basic_auth_password(raw_authorization);
    if (password) (void)server::same_secret(*password, "pw");

    if (path.starts_with("/p/")) {
      const std::string_view code = std::string_view(path).substr(3);
      const std::optional<server::Seat> seat = served->host.find(code);
      if (seat) {
        FUZZ_CHECK(seat->session == 0 && seat->participant >= 1 && seat->participant <= 6 &&
                       code == "s1-p" + std::to_string(seat->participant),
                   "code %s found participant %u", path.c_str(), seat->participant);
      }
    }
    if (post && path.starts_with("/p/")) {
      // Decoding only shortens: no pair is longer than the body, and there
      // are no more pairs than '&'-separated parts.
      const auto pairs = server::parse_form_body(form);
      FUZZ_CHECK(pairs.size() <= static_cast<size_t>(std::count(form.begin(), form.end(), '&')) + 1,
                 "%zu pairs in a form body", pairs.size());
      for (const auto& [name, value] : pairs) {
        FUZZ_CHECK(name.size() + value.size() <= form.size(), "a pair longer than its body");
      }
    }
    if (!server::Admin::is_admin_path(path)) return 0;

    server::AdminRequest request;
    request.post = post;
    request.path = path;
    // "Basic " + base64("a:pw").
    request.authorization =
        right_password ? std::string_view("Basic YTpwdw==") : std::string_view(raw_authorization);
    request.host = host_header;
    request.origin = origin;
    request.form = form;
    const bool authorized = right_password || password == "pw";
    const server::AdminResponse response = served->admin.handle(request, now_ms += 100);
    FUZZ_CHECK(documented_status(response.status), "status %d for %s", response.status,
               path.c_str());
    FUZZ_CHECK(response.content_type != nullptr, "no content type for %s", path.c_str());
    if (!authorized)
      FUZZ_CHECK(response.status == 401, "status %d without the password", response.status);
    if (response.status == 303) {
      FUZZ_CHECK(response.location.starts_with("/admin"), "redirect to %s",
                 response.location.c_str());
    }
  } catch (const std::exception& e) {
    FUZZ_CHECK(false, "a request threw: %s", e.what());
  }
  return 0;
}
