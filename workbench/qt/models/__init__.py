"""Qt item models: thin adapters over the core containers."""
