#pragma once
// Everything a game's code uses: declaring a game (fields, records, pages),
// its live_method and what it returns, bots, invariants, and LIVECTL_GAME to
// register it. docs/writing-a-game.md walks through a game of your own.
#include "engine/bot.h"
#include "engine/game.h"
#include "engine/invariant.h"
#include "engine/json.h"
#include "engine/outbox.h"
#include "engine/registry.h"
#include "engine/rng.h"
#include "engine/session.h"
