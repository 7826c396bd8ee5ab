"""What runs write for people: image grids, the loss plot, samples, and atomic file writes."""
