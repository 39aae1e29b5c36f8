#include <cstdio>
#include <memory>

#include "cli/commands.h"
#include "store/export.h"
#include "store/sql_store.h"

namespace livectl::cli {

namespace {

struct ExportArgs {
  std::string db;
  std::string session;
  std::string format = "csv";
  std::string out = ".";
};

int run_export(const ExportArgs& args) {
  std::unique_ptr<SqlStore> store;
  SqlStore::Options open_options;
  open_options.mode = SqlStore::Mode::kRead;
  if (Status status = SqlStore::open(args.db, open_options, &store); !status.ok()) {
    throw UsageError(status.message());
  }
  ExportOptions options;
  options.session = args.session;
  options.format =
      args.format == "json" ? ExportOptions::Format::kJson : ExportOptions::Format::kCsv;
  options.out_dir = args.out;
  std::vector<ExportedFile> files;
  if (Status status = export_data(*store, options, &files); !status.ok()) {
    throw UsageError(status.message());
  }
  for (const ExportedFile& file : files) {
    std::printf("wrote %s (%lld rows)\n", file.path.c_str(), static_cast<long long>(file.rows));
  }
  return 0;
}

}  // namespace

void add_export_command(CLI::App& app, Runner& run) {
  auto args = std::make_shared<ExportArgs>();
  auto* command = app.add_subcommand(
      "export",
      "Write the stored data for analysis with oTree's column names: sessions, per game a file\n"
      "of players (<game>_players) and one per extra-record type (<game>_<record>), and the event\n"
      "log (events). Existing files of those names in the folder are replaced.");
  add_stored_db_option(command, &args->db);
  command->add_option("--session", args->session, "export only the session with this code");
  command->add_option("--format", args->format, "csv (RFC 4180) or json")
      ->check(CLI::IsMember({"csv", "json"}))
      ->default_val("csv");
  command->add_option("--out", args->out, "the folder to write into (created if missing)")
      ->default_val(".");
  command->callback([&run, args] { run = [args] { return run_export(*args); }; });
}

}  // namespace livectl::cli
