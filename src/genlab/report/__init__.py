"""The comparison report: results.json, report.md and a self-contained report.html, built from data only."""

from genlab.report.results import build_results
from genlab.report.schema import ReportInputError
from genlab.report.write import write_report

__all__ = ["ReportInputError", "build_results", "write_report"]
