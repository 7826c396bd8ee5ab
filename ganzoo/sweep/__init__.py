"""Sweeps: ``ganzoo run RECIPE -m KEY=A,B ...`` expands a grid of overrides and runs each member
in its own folder under one sweep folder (see ganzoo.sweep.grid and ganzoo.sweep.runner)."""
