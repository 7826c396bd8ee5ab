"""``ganzoo compare RUN_OR_SWEEP_DIR...``: one table and one picture of several runs
(ganzoo.compare.runs reads them, .table and .picture show them)."""
