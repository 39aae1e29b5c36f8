#pragma once
// livectl's four example games (auction, tictactoe, bargaining,
// ten_messages), built with livectl_add_games into livectl::examples.

// Registers them (engine/registry.h); calling it again does nothing more.
void livectl_register_examples();
