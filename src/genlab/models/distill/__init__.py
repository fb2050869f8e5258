"""Few-step students distilled from a trained diffusion model: consistency and progressive distillation."""
