from runfiles import tiny_runs  # noqa: F401  (the session fixture the run-folder tests use)
