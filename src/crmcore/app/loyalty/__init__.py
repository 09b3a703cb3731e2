"""The loyalty board: cards, levels, moves and its configuration."""
