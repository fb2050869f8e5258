"""`genlab compare`: every family, one budget, one metric suite, one report."""

from __future__ import annotations

import argparse


def add_compare_parser(sub) -> None:
    c = sub.add_parser("compare", help="train every family under one budget and write a comparison report")
    c.set_defaults(func=cmd_compare)


def cmd_compare(a: argparse.Namespace) -> int:
    raise NotImplementedError
