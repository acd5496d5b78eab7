"""Side-by-side measurements printed by ``make bench``."""
