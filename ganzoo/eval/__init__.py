"""Scoring generators offline: ganzoo's MNIST classifier, its features, and `ganzoo eval`."""
