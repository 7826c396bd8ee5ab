"""The built-in recipes, installed as the package ganzoo.recipes (see setup.py): `ganzoo run NAME`."""
