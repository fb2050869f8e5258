"""Evaluation: the metric suite over a model, evaluate_run over a run folder, seeded generation, the quality
curves and the ELBO view. It draws samples and features; the pure metric functions live in genlab.metrics."""
