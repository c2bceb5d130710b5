"""Table parsing: one spec per table family (specs.py) and one shared mechanism (grid.py)."""
