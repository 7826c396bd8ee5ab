"""Running a recipe: the trainer and what it owns for every algorithm (the training step's
services, checkpoints and the run folder, data-parallel processes, divergence checks, EMA,
progress)."""
