#include "server/codes.h"

#include <sys/random.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace livectl::server {

namespace {

void fill_random(void* buffer, size_t size) {
  auto* bytes = static_cast<unsigned char*>(buffer);
  while (size > 0) {
    const ssize_t got = getrandom(bytes, size, 0);
    if (got < 0) {
      if (errno == EINTR) continue;
      throw std::runtime_error(std::string("the OS gave no random bytes: ") + std::strerror(errno));
    }
    bytes += got;
    size -= static_cast<size_t>(got);
  }
}

}  // namespace

std::string random_code() {
  static constexpr char kAlphabet[] = "abcdefghijkmnpqrstuvwxyz23456789";
  static_assert(sizeof(kAlphabet) - 1 == 32, "5 bits per character, no modulo bias");
  unsigned char bytes[16];
  fill_random(bytes, sizeof(bytes));
  std::string code(sizeof(bytes), ' ');
  for (size_t i = 0; i < sizeof(bytes); ++i) code[i] = kAlphabet[bytes[i] & 31];
  return code;
}

uint64_t random_seed() {
  uint64_t seed = 0;
  fill_random(&seed, sizeof(seed));
  return seed;
}

}  // namespace livectl::server
