// The unit tests' main: doctest's, after registering livectl's example games
// as every livectl binary does before it runs.
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include "games/examples.h"

int main(int argc, char** argv) {
  livectl_register_examples();
  return doctest::Context(argc, argv).run();
}
