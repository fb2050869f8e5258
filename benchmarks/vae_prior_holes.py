"""Benchmark 7 (issue 23): where a trained VAE's prior samples go wrong, decoder or prior.

    python benchmarks/vae_prior_holes.py RUN_DIR [--n 2000] [--name vae_prior_holes]

Decodes 2,000 latents of a `genlab train vae --data mnist` run, each set scored as `genlab score` scores samples
in every calibrated feature space: z from the model's own prior (what `genlab sample` gives), the posterior means
of test images (reconstructions), z ~ q(z|x) of training images (the aggregate posterior: the decoder's quality
with no prior holes), and z from Gaussian mixtures fitted to that aggregate posterior after training (1 full-
covariance component; 10 and 50 diagonal ones). A large gap between the prior and the aggregate posterior says
the prior, not the decoder, holds the samples back. Results: results/<name>.{json,md}.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import torch
from common import write_results
from scoring import Scorer, load_mnist, space_rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("run", type=Path)
    ap.add_argument("--n", type=int, default=2000)
    ap.add_argument("--name", default="vae_prior_holes")
    a = ap.parse_args()
    from sklearn.mixture import GaussianMixture

    from genlab.evaluation.generate import generate
    from genlab.runs import load_run

    model, cfg, _, _ = load_run(a.run, "cpu")
    model.eval()
    data = load_mnist()
    scorer = Scorer(data)
    g = torch.Generator().manual_seed(0)
    sets: dict[str, torch.Tensor] = {"prior (genlab sample)": generate(model, a.n, seed=0, batch_size=500)}
    with torch.no_grad():
        mu, _ = model.posterior(data.test[:a.n].float())
        sets["reconstructions (test posterior means)"] = model.decode(mu)
        mu, logvar = model.posterior(data.train[:20000].float())
        zq = mu + torch.exp(0.5 * logvar) * torch.randn(mu.shape, generator=g)
        sets["aggregate posterior (train, z ~ q(z|x))"] = model.decode(zq[:a.n])
        for k, kind in ((1, "full"), (10, "diag"), (50, "diag")):
            gm = GaussianMixture(k, covariance_type=kind, random_state=0).fit(zq.numpy())
            z = torch.from_numpy(gm.sample(a.n)[0]).float()[torch.randperm(a.n, generator=g)]
            sets[f"mixture fitted to q(z), {k} {kind}"] = model.decode(z)
    results, rows = {}, []
    for name, x in sets.items():
        spaces = space_rows(scorer.score_all_spaces(x, seed=0))
        results[name] = spaces
        rows.append([name, *[f"{s['fd']:.3g} ± {1.96 * s.get('fd_se', 0):.2g}" for s in spaces.values()]])
        print(rows[-1], flush=True)
    prior = f"{cfg.model.prior} prior" if hasattr(cfg.model, "prior") else "prior"
    write_results(a.name, {"run": str(a.run), "n": a.n, "results": results, "evaluator": scorer.record}, rows,
                  ["latents decoded", *[f"FD ({s})" for s in spaces]],
                  [f"run: {a.run} ({prior}), {a.n} images per row scored as `genlab score` scores samples "
                   "(FD ± 95% interval)"])


if __name__ == "__main__":
    main()
