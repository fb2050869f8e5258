"""Benchmark 11 (issue 21): the EMA length of the default DDPM at 600 s, read off one training trajectory.

    python benchmarks/ema_length.py [--data mnist|digits] [--budget 600s] [--n 2000] [--gammas 2,4,16,32]

One `genlab train ddpm --data D --budget B` (the CLI's own code path, in this process) trains the default model.
Beside the trainer's own EMA, this script keeps extra averages of the same weights, one per power-function EMA of
EDM2 (Karras et al. 2024, "Analyzing and improving the training dynamics of diffusion models", eq. 3):

    theta_hat(t) = beta(t) theta_hat(t - 1) + (1 - beta(t)) theta(t),   beta(t) = (1 - 1/t)^(gamma + 1),

whose averaging profile has relative standard deviation sigma_rel = sqrt((gamma + 1) / ((gamma + 2)^2 (gamma + 3)))
at every length of training. genlab's EMA, d = min(decay, (1 + s) / (10 + s)), is 1 - 9/(10 + s) ~ that profile
with gamma + 1 ~ 9 for as long as the warm-up binds (s < ~9,000 at decay 0.999: every 600 s CPU run), so gamma = 8
is the default's neighbour. The raw weights (no averaging) come from the run's checkpoint. Every variant samples
2,000 images with the model's default sampler and seed 0 (the same noise for every variant: a paired comparison)
and is scored as `genlab score` scores them. The extra averages cost a few lerps per step; the steps made are
recorded. Results: results/<name>.{json,md} (default ema_length); run folder runs/<name>/. The compare's own budget:
`--data digits --budget 70s --name ema_length_digits_70s`.
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

import torch
from common import MNIST_DIR, RESULTS, write_results
from scoring import Scorer, fd_verdict, load_mnist, space_rows

from genlab.train.ema import make_ema

BENCH = Path(__file__).resolve().parent


def sigma_rel(gamma: float) -> float:
    """EDM2 eq. 4: the relative standard deviation of the power-function EMA profile of exponent gamma."""
    return math.sqrt((gamma + 1) / ((gamma + 2) ** 2 * (gamma + 3)))


class PowerEMAs:
    """Extra power-function EMAs kept beside the trainer's own, updated after each of its EMA updates."""

    def __init__(self, gammas: list[float]):
        self.gammas, self.shadows, self.updates = gammas, {}, 0

    @torch.no_grad()
    def update(self, ema, model, step: int) -> None:
        self.updates += 1
        if not self.shadows:
            self.shadows = {g: make_ema(ema) for g in self.gammas}
        own = dict(model.named_parameters())
        for g, shadow in self.shadows.items():
            beta = (step / (step + 1)) ** (g + 1)  # t = step + 1: beta(1) = 0, the first average is theta(1)
            for name, p in shadow.named_parameters():
                p.lerp_(own[name].detach(), 1.0 - beta)


def train_with_extra_emas(data: str, budget: str, seed: int, gammas: list[float], name: str,
                          ) -> tuple[Path, PowerEMAs]:
    """`genlab train ddpm --data D` through the CLI's main, its update_ema wrapped to feed the extra EMAs."""
    import genlab.train.trainer as trainer_module
    from genlab.cli import main

    extra, product_update = PowerEMAs(gammas), trainer_module.update_ema

    def update_both(ema, model, decay, step):
        product_update(ema, model, decay, step)
        extra.update(ema, model, step)

    out = BENCH / "runs" / name
    trainer_module.update_ema = update_both
    try:
        code = main(["train", "ddpm", "--data", data, *(["--data-dir", str(MNIST_DIR)] if data == "mnist" else []),
                     "--budget", budget,
                     "--seed", str(seed), "--out", str(out), "--quiet", "--device", "cpu"])
    finally:
        trainer_module.update_ema = product_update
    if code != 0:
        raise SystemExit(f"genlab train failed with exit code {code}")
    return sorted(p for p in out.iterdir() if (p / "config.json").exists())[-1], extra


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", choices=["mnist", "digits"], default="mnist")
    ap.add_argument("--budget", default="600s")
    ap.add_argument("--n", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--gammas", default="2,4,16,32", help="power-EMA exponents kept beside the default EMA")
    ap.add_argument("--name", default="ema_length")
    a = ap.parse_args()
    from genlab.data import load_dataset
    from genlab.evaluation.generate import generate
    from genlab.runs import load_run

    gammas = [float(g) for g in a.gammas.split(",")]
    scorer = Scorer(load_mnist() if a.data == "mnist" else load_dataset(a.data))
    run, extra = train_with_extra_emas(a.data, a.budget, a.seed, gammas, a.name)
    model, cfg, _, record = load_run(run, "cpu")
    steps = int(record["step"])
    assert extra.updates == steps, f"the extra EMAs saw {extra.updates} updates of the run's {steps} steps"
    # name -> (what, gamma of the power profile it is or follows, None for no average, weights)
    variants: dict[str, tuple[str, float | None, dict]] = {
        "default": ("genlab's EMA: min(0.999, (1 + s) / (10 + s)), ~ gamma 8", 8.0,
                    {k: v.clone() for k, v in model.state_dict().items()})}
    for g in gammas:
        variants[f"power-{g:g}"] = (f"power EMA gamma {g:g}", g, extra.shadows[g].state_dict())
    variants["raw"] = ("no EMA: the trained weights", None, load_run(run, "cpu", ema=False)[0].state_dict())
    results, rows = {}, []
    for name, (what, g, state) in variants.items():
        model.load_state_dict(state)
        x = generate(model, a.n, seed=0, batch_size=500)
        spaces = space_rows(scorer.score_all_spaces(x, seed=0))
        results[name] = {"what": what, "gamma": g, "sigma_rel": sigma_rel(g) if g is not None else 0.0,
                         "spaces": spaces}
        if name != "default":
            results[name]["vs_default"] = fd_verdict(spaces, results["default"]["spaces"])[0]
        fds = [f"{s['fd']:.3g} ± {1.96 * s.get('fd_se', 0):.2g}" for s in spaces.values()]
        rows.append([name, what, f"{results[name]['sigma_rel']:.3f}", *fds,
                     {"a": "better", "b": "worse"}.get(results[name].get("vs_default"),
                                                       results[name].get("vs_default", ""))])
        print(rows[-1], flush=True)
        write_results(a.name, {"data": a.data, "budget": a.budget, "n": a.n, "seed": a.seed, "run": str(run),
                               "steps": steps,
                               "sampler": f"{cfg.model.sampler}, {cfg.model.steps} steps", "results": results,
                               "evaluator": scorer.record},
                      rows, ["variant", "average", "sigma_rel", *[f"FD ({s})" for s in spaces],
                             "vs default (report's rule)"],
                      [f"{a.data}, one `genlab train ddpm --budget {a.budget}` ({steps} steps; the extra averages ride "
                       "along), every variant sampled with the same seed and scored as `genlab score` scores "
                       f"{a.n} samples (FD ± 95% interval) in every calibrated space",
                       "sigma_rel of the default: the power profile it follows while its warm-up binds; 'better' / "
                       "'worse' only when the intervals separate in every calibrated space"], RESULTS)


if __name__ == "__main__":
    main()
