"""The comparison table: one row per axis the founding articles compare, with a verdict from the numbers.

Each axis quotes the articles' qualitative claims and states them as small predicates over the per-family
means (e.g. fd[ddpm] < fd[vae]). A predicate holds, fails, or cannot be tested (a metric is missing for a
family it names). The verdict counts the testable ones: all hold -> agrees, none -> disagrees, else partly.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from genlab.report.catalogue import fmt, metric
from genlab.report.cells import NOT_MEASURED, cell_text
from genlab.report.schema import Cell, Verdict
from genlab.report.verdicts import decide

Table = dict[str, dict[str, Cell]]  # family -> metric key -> cell

_ROLES = {"vae": "vae", "gan": "gan", "ddpm": "diffusion", "ldm": "diffusion", "diffusion": "diffusion"}


def role(family: str) -> str:
    """'vae', 'gan' or 'diffusion' (ddpm, ldm) for the families the articles talk about; else the name."""
    name = family.lower()
    if name in _ROLES:
        return _ROLES[name]
    return "diffusion" if "diffusion" in name or name.startswith(("ddpm", "ldm")) else name


def _get(tab: Table, family: str, key: str) -> Cell:
    return tab.get(family, {}).get(key, {"available": False, "reason": NOT_MEASURED})


def is_latent(family: str) -> bool:
    """A latent diffusion family (its diffusion runs on an autoencoder's latents)."""
    name = family.lower()
    return name.startswith("ldm") or "latent" in name


@dataclass(frozen=True)
class Outcome:
    holds: bool | None  # None: not decided (not testable, a tie, or the feature spaces disagree)
    evidence: str  # the specific comparison, e.g. "ddpm FD 3.1 ± 0.2 < vae FD 9.8 ± 0.4"
    claim: str
    status: str = ""  # "tie" or "inconclusive" when holds is None for that reason


@dataclass(frozen=True)
class Better:
    """`a` is better than `b` on the first of `keys` measured for both (direction from the catalogue).

    strict=False: at least as good (a tie holds), for claims like "robust to" that a tie does not refute.
    """

    a: str
    b: str
    keys: tuple[str, ...]
    claim: str
    strict: bool = True

    def test(self, tab: Table) -> Outcome:
        """Decided on the first of `keys` measured for both, in every calibrated space, by 95% intervals."""
        for key in self.keys:
            decision, evidence = decide(tab, self.a, self.b, key)
            if decision is None:
                continue
            if decision in ("a", "b"):
                return Outcome(decision == "a", evidence, self.claim)
            if decision == "tie" and not self.strict:
                return Outcome(True, evidence + " (a tie is enough)", self.claim)
            return Outcome(None, evidence, self.claim, decision)
        key = self.keys[0]
        missing = "; ".join(f"{f} {metric(key).label} {cell_text(_get(tab, f, key), key)}"
                            for f in (self.a, self.b) if not _get(tab, f, key).get("available"))
        return Outcome(None, f"not testable: {missing or 'no calibrated feature space'}", self.claim)


@dataclass(frozen=True)
class Has:
    """Whether `family` has `key` at all (a GAN has no likelihood); untestable when it was not measured."""

    family: str
    key: str
    expected: bool
    claim: str

    def test(self, tab: Table) -> Outcome:
        label = metric(self.key).label
        cell = _get(tab, self.family, self.key)
        if not cell.get("available") and cell.get("reason") == NOT_MEASURED:
            return Outcome(None, f"not testable: {self.family} {label} not measured", self.claim)
        if cell.get("available"):
            return Outcome(self.expected, f"{self.family} {label} = {cell_text(cell, self.key)}", self.claim)
        return Outcome(not self.expected, f"{self.family} {label}: {cell_text(cell, self.key)}", self.claim)


@dataclass(frozen=True)
class LeastStable:
    """`family` has the largest seed-to-seed spread (std / |mean|) of `key`: the sign of a hard training."""

    family: str
    key: str
    claim: str

    def test(self, tab: Table) -> Outcome:
        label = metric(self.key).label

        def spread(f: str) -> float | None:
            c = _get(tab, f, self.key)
            if not c.get("available") or c.get("std") is None or c["mean"] == 0:
                return None
            return c["std"] / abs(c["mean"])

        own = spread(self.family)
        others = {f: s for f in tab if f != self.family and (s := spread(f)) is not None}
        if own is None or not others:
            return Outcome(None, f"not testable: needs {label} over 2+ seeds for {self.family} and another "
                                 f"family", self.claim)
        rival, top = max(others.items(), key=lambda kv: kv[1])
        sign = ">" if own > top else "<="
        text = f"{self.family} {label} std/mean {fmt(own)} {sign} {rival} {fmt(top)} (largest of the others)"
        return Outcome(own > top, text, self.claim)


Predicate = Better | Has | LeastStable


@dataclass(frozen=True)
class Axis:
    key: str
    title: str
    metrics: tuple[str, ...]  # shown in the row, first = primary
    claim: str  # the articles' claims, quoted short
    predicates: Callable[[dict[str, list[str]]], list[Predicate]]  # from role -> families present


Roles = dict[str, list[str]]  # 'vae' / 'gan' / 'diffusion' / 'student' -> the families present in that role


def _pairs(roles: Roles, a: str, b: str, keys: tuple[str, ...], claim: str, strict: bool = True) -> list[Predicate]:
    """Better(fa, fb) for every family fa in role a and fb in role b."""
    return [Better(fa, fb, keys, claim, strict) for fa in roles.get(a, []) for fb in roles.get(b, [])]


FIDELITY = ("fd", "kid")
DIVERSITY = ("recall", "coverage")
COLLAPSE = ("mode_coverage", "class_coverage", "reverse_kl", "class_kl")
SPEED = ("sample_images_per_s",)
SMOOTH = ("interp_smoothness",)


def _fidelity(r: Roles) -> list[Predicate]:
    return (_pairs(r, "diffusion", "vae", FIDELITY, "diffusion beats VAE on fidelity")
            + _pairs(r, "gan", "vae", FIDELITY, "GAN beats VAE on fidelity"))


def _diversity(r: Roles) -> list[Predicate]:
    return (_pairs(r, "diffusion", "gan", DIVERSITY, "diffusion more diverse than GAN")
            + _pairs(r, "vae", "gan", DIVERSITY, "VAE more diverse than GAN"))


def _collapse(r: Roles) -> list[Predicate]:
    return (_pairs(r, "diffusion", "gan", COLLAPSE, "GAN collapses more than diffusion")
            + _pairs(r, "diffusion", "vae", COLLAPSE, "diffusion covers at least as many modes as VAE", False))


def _likelihood(r: Roles) -> list[Predicate]:
    # seed 003 speaks of pixel-space diffusion; a latent diffusion model's bound is over its autoencoder's latents
    elbo = r.get("vae", []) + r.get("pixel_diffusion", [])
    return ([Has(f, "bpd", False, "GAN has no likelihood") for f in r.get("gan", [])]
            + [Has(f, "bpd", True, "an ELBO gives a bound in bits/dim") for f in elbo]
            + _pairs(r, "pixel_diffusion", "vae", ("bpd",), "diffusion bound tighter than VAE's"))


def _training(r: Roles) -> list[Predicate]:
    return (_pairs(r, "vae", "diffusion", ("train_images_per_s",), "VAE trains faster than diffusion")
            + [LeastStable(f, "fd", "GAN is hard to train (least stable FD)") for f in r.get("gan", [])])


def _sampling(r: Roles) -> list[Predicate]:
    # seed 002: accelerated samplers are "still much slower than GANs and VAEs": distilled students are held to it
    return (_pairs(r, "vae", "diffusion", SPEED, "VAE samples faster than diffusion")
            + _pairs(r, "gan", "diffusion", SPEED, "GAN samples faster than diffusion")
            + _pairs(r, "vae", "student", SPEED, "VAE samples faster than a distilled diffusion model")
            + _pairs(r, "gan", "student", SPEED, "GAN samples faster than a distilled diffusion model"))


def _latent(r: Roles) -> list[Predicate]:
    return ([Has(f, "recon_mse", True, "VAE encodes and reconstructs") for f in r.get("vae", [])]
            + _pairs(r, "vae", "diffusion", SMOOTH, "VAE interpolates more smoothly than diffusion")
            + _pairs(r, "vae", "gan", SMOOTH, "VAE interpolates more smoothly than GAN"))


AXES: tuple[Axis, ...] = (
    Axis("fidelity", "Generation quality (fidelity)", ("fd", "kid", "precision", "density"),
         '"diffusion: high-fidelity, detailed samples"; "VAE: smoother but often blurrier outputs"; '
         '"GAN: high-fidelity samples" [000, 002]', _fidelity),
    Axis("diversity", "Diversity", ("recall", "coverage"),
         '"diffusion: high diversity"; "VAE: high diversity samples"; '
         '"GAN: low diversity samples" [000, 002]', _diversity),
    Axis("mode_collapse", "Robustness to mode collapse",
         ("mode_coverage", "class_coverage", "reverse_kl", "class_kl", "hq_share"),
         '"diffusion: robust to mode collapse"; "GAN: ... mode collapse"; '
         '"VAE: may suffer from mode collapse" [000, 002]', _collapse),
    Axis("likelihood", "Likelihood", ("bpd",),
         '"VAE and diffusion both optimise the ELBO"; the diffusion bound is a sum of per-step KLs with no '
         'reconstruction-vs-KL tug of war; GAN: no likelihood [002, 003]', _likelihood),
    Axis("training_cost", "Training cost", ("train_images_per_s", "train_seconds", "params", "peak_mem_mb"),
         '"diffusion: computationally intensive, longer training"; '
         '"VAE: faster, less resource-demanding, easy to train"; "GAN: hard to train" [000, 002]', _training),
    Axis("sampling_speed", "Sampling speed", ("sample_images_per_s", "nfe"),
         '"diffusion: slow sample generation"; "VAE: faster single-step sampling"; '
         'GAN generates "at once" [000, 002]', _sampling),
    Axis("latent_space", "Latent space", ("recon_mse", "recon_psnr", "interp_smoothness"),
         '"VAE: explicit, continuous latent space enabling interpolation"; '
         '"diffusion: no explicit latent space" (but inpainting / image-to-image) [000, 002, 003]', _latent),
)


def verdict(outcomes: list[Outcome]) -> tuple[Verdict, str]:
    """The verdict and the sentence that decided it, from the predicates' outcomes: 'agrees' or 'disagrees'
    only when every comparison is decided the same way; 'tie' when the intervals overlap in all of them;
    'inconclusive' when the feature spaces disagree and nothing else decides; else 'partly'."""
    if not outcomes:
        return "not testable", "no family the claim names was compared"
    decided = [o for o in outcomes if o.holds is not None]
    open_ = [o for o in outcomes if o.holds is None and o.status]
    if not decided and not open_:
        return "not testable", "; ".join(o.evidence for o in outcomes)
    held = [o for o in decided if o.holds]
    if not decided:
        v: Verdict = "tie" if all(o.status == "tie" for o in open_) else "inconclusive"
    elif open_:
        v = "partly"
    else:
        v = "agrees" if len(held) == len(decided) else "disagrees" if not held else "partly"
    parts = [f"{o.evidence}: {'agrees that' if o.holds else 'contradicts'} {o.claim}" for o in decided]
    parts += [f"{o.evidence}: {o.status} on '{o.claim}'" for o in open_]
    untested = [o for o in outcomes if o.holds is None and not o.status]
    if untested:
        parts.append(f"{len(untested)} comparison(s) not testable")
    return v, "; ".join(parts)


def claim_rows(tab: Table, families: list[str]) -> list[dict]:
    """One JSON-ready row per axis: metrics with unit and direction, per-family cells, claim, verdict."""
    roles: dict[str, list[str]] = {}
    for f in families:
        if "distilled" in f:
            # a distilled student answers the speed claim only: it is not the family the fidelity, diversity and
            # collapse claims speak of (its teacher is), nor ELBO-trained
            roles.setdefault("student", []).append(f)
            continue
        roles.setdefault(role(f), []).append(f)
        if role(f) == "diffusion" and not is_latent(f):
            roles.setdefault("pixel_diffusion", []).append(f)
    rows = []
    for axis in AXES:
        metrics = [k + suffix for k in axis.metrics for suffix in ("", "_pixels", "_dinov2")
                   if suffix == "" or k in ("fd", "recall", "coverage", "precision")]
        shown = [k for k in metrics if any(_get(tab, f, k).get("available") for f in families)]
        shown = shown or list(axis.metrics[:1])
        outcomes = [p.test(tab) for p in axis.predicates(roles)]
        v, because = verdict(outcomes)
        rows.append({
            "axis": axis.key,
            "title": axis.title,
            "metrics": [{"key": k, "label": metric(k).label, "unit": metric(k).unit,
                         "better": metric(k).better} for k in shown],
            "cells": {f: {k: _get(tab, f, k) for k in shown} for f in families},
            "claim": axis.claim,
            "verdict": v,
            "because": because,
            "comparisons": [{"claim": o.claim, "holds": o.holds, "evidence": o.evidence, "status": o.status}
                            for o in outcomes],
        })
    return rows
