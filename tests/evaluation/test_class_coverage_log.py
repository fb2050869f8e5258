"""log_class_coverage: what `genlab evaluate` adds to a labelled-image run's metrics.jsonl."""

import json

from genlab.evaluation.run import log_class_coverage


def test_class_coverage_goes_into_the_log_with_the_collapse_flag(tmp_path):
    (tmp_path / "metrics.jsonl").write_text(json.dumps({"step": 7, "loss": 1.0}) + "\n")
    log_class_coverage(tmp_path, 7, {"classes_covered": 4.0, "num_classes": 10.0})  # 4 < 10 / 2: collapsed
    log_class_coverage(tmp_path, 7, {"classes_covered": 5.0, "num_classes": 10.0})  # half: not collapsed
    log_class_coverage(tmp_path, 7, {"available": False, "reason": "no labels"})  # nothing to log
    rows = [json.loads(line) for line in (tmp_path / "metrics.jsonl").read_text().splitlines()]
    assert rows[1:] == [{"step": 7, "eval/classes_covered": 4.0, "eval/num_classes": 10.0, "eval/collapsed": 1.0},
                        {"step": 7, "eval/classes_covered": 5.0, "eval/num_classes": 10.0, "eval/collapsed": 0.0}]
