"""Running a recipe: the trainer and what it owns for every algorithm (the training step's
services, checkpoints and the run folder, data-parallel processes, divergence checks, precision), and
its side duties as built-in callbacks (duties/: the metrics file, progress, EMA, sample grids,
evaluation, the loss plot, when to checkpoint)."""
