#pragma once
// Unguessable codes and seeds for served sessions, from the OS's CSPRNG.
// (Simulations derive theirs from the seed instead; see engine/session.h.)
#include <cstdint>
#include <string>

namespace livectl::server {

// 16 characters from a 32-letter alphabet without look-alikes (no l, o, 0,
// 1): 80 bits, enough that guessing a participant's link is hopeless.
// Throws std::runtime_error when the OS has no randomness to give.
std::string random_code();

// A seed for a session's generator. Throws as random_code().
uint64_t random_seed();

}  // namespace livectl::server
