#pragma once
// A ZIP archive of a few files, for the admin's export download: one file
// to save from a browser, which every OS, Python's zipfile and R's unzip
// open. Entries are stored uncompressed (CSV of a lab session is small, and
// no compression library is needed); no ZIP64, so every size must stay
// under 4 GiB.
#include <cstdint>
#include <ctime>
#include <string>
#include <vector>

#include "engine/status.h"

namespace livectl::server {

struct ZipEntry {
  std::string name;  // a path inside the archive, '/'-separated
  std::string bytes;
};

// The archive of `entries`, in their order, each dated `modified` (UTC).
// Errors: "the export is too large for a ZIP file (over 4 GiB or 65535
// files)".
Status zip_archive(const std::vector<ZipEntry>& entries, std::time_t modified, std::string* out);

// The CRC-32 of `bytes` that ZIP (and gzip, PNG) use.
uint32_t crc32(std::string_view bytes);

}  // namespace livectl::server
