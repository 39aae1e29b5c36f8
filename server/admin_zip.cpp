#include "server/admin_zip.h"

#include <array>
#include <limits>

namespace livectl::server {

namespace {

constexpr uint32_t kLocalHeader = 0x04034b50;
constexpr uint32_t kCentralHeader = 0x02014b50;
constexpr uint32_t kEndOfCentralDirectory = 0x06054b50;
constexpr uint16_t kVersion = 20;  // 2.0: what plain stored entries need
// "Made by" Unix (3 in the high byte), so that unzip applies the mode below.
constexpr uint16_t kMadeByUnix = (3 << 8) | kVersion;
constexpr uint32_t kRegularFileMode = 0100644u << 16;

void put16(std::string& out, uint16_t value) {
  out.push_back(static_cast<char>(value & 0xff));
  out.push_back(static_cast<char>(value >> 8));
}

void put32(std::string& out, uint32_t value) {
  for (int shift = 0; shift < 32; shift += 8)
    out.push_back(static_cast<char>((value >> shift) & 0xff));
}

// MS-DOS date and time, which ZIP headers hold (2-second resolution, from 1980).
void dos_date_time(std::time_t modified, uint16_t* date, uint16_t* time) {
  std::tm utc{};
  gmtime_r(&modified, &utc);
  if (utc.tm_year < 80) {  // before 1980: the earliest time ZIP can say
    *date = (1 << 5) | 1;
    *time = 0;
    return;
  }
  *date = static_cast<uint16_t>(((utc.tm_year - 80) << 9) | ((utc.tm_mon + 1) << 5) | utc.tm_mday);
  *time = static_cast<uint16_t>((utc.tm_hour << 11) | (utc.tm_min << 5) | (utc.tm_sec / 2));
}

}  // namespace

uint32_t crc32(std::string_view bytes) {
  static const std::array<uint32_t, 256> kTable = [] {
    std::array<uint32_t, 256> table{};
    for (uint32_t i = 0; i < 256; ++i) {
      uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
      table[i] = c;
    }
    return table;
  }();
  uint32_t crc = 0xffffffffu;
  for (char byte : bytes)
    crc = kTable[(crc ^ static_cast<unsigned char>(byte)) & 0xff] ^ (crc >> 8);
  return crc ^ 0xffffffffu;
}

Status zip_archive(const std::vector<ZipEntry>& entries, std::time_t modified, std::string* out) {
  constexpr uint64_t kMax = std::numeric_limits<uint32_t>::max();
  uint64_t total = 22;
  for (const ZipEntry& entry : entries)
    total += 30 + 46 + 2 * entry.name.size() + entry.bytes.size();
  if (total > kMax || entries.size() >= std::numeric_limits<uint16_t>::max()) {
    return Status::Error("the export is too large for a ZIP file (over 4 GiB or 65535 files)");
  }
  uint16_t date = 0, time = 0;
  dos_date_time(modified, &date, &time);
  std::string& zip = *out;
  zip.clear();
  zip.reserve(total);
  std::string central;
  for (const ZipEntry& entry : entries) {
    const uint32_t offset = static_cast<uint32_t>(zip.size());
    const uint32_t crc = crc32(entry.bytes);
    const auto size = static_cast<uint32_t>(entry.bytes.size());
    const auto name_size = static_cast<uint16_t>(entry.name.size());
    put32(zip, kLocalHeader);
    put16(zip, kVersion);
    put16(zip, 0);  // flags
    put16(zip, 0);  // method: stored
    put16(zip, time);
    put16(zip, date);
    put32(zip, crc);
    put32(zip, size);  // compressed
    put32(zip, size);
    put16(zip, name_size);
    put16(zip, 0);  // extra field
    zip += entry.name;
    zip += entry.bytes;

    put32(central, kCentralHeader);
    put16(central, kMadeByUnix);
    put16(central, kVersion);
    put16(central, 0);
    put16(central, 0);
    put16(central, time);
    put16(central, date);
    put32(central, crc);
    put32(central, size);
    put32(central, size);
    put16(central, name_size);
    put16(central, 0);  // extra field
    put16(central, 0);  // comment
    put16(central, 0);  // disk
    put16(central, 0);  // internal attributes
    put32(central, kRegularFileMode);
    put32(central, offset);
    central += entry.name;
  }
  const auto central_offset = static_cast<uint32_t>(zip.size());
  zip += central;
  put32(zip, kEndOfCentralDirectory);
  put16(zip, 0);  // this disk
  put16(zip, 0);  // the disk the directory starts on
  put16(zip, static_cast<uint16_t>(entries.size()));
  put16(zip, static_cast<uint16_t>(entries.size()));
  put32(zip, static_cast<uint32_t>(central.size()));
  put32(zip, central_offset);
  put16(zip, 0);  // comment
  return Status();
}

}  // namespace livectl::server
