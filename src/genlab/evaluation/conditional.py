"""What a class-conditional run adds to the evaluation: does the model draw the class it is asked for?

Samples are drawn as generate() draws them for a conditional model (sample k of class k mod K) and classified by the
evaluator classifier (images) or by their nearest mixture mode (2-D mixtures, whose labels index their modes).
"""

from __future__ import annotations

import torch

from genlab.data.dataset import Dataset
from genlab.errors import NotAvailable
from genlab.evaluation.evaluator import Evaluator
from genlab.evaluation.generate import image_labels, label_cycle
from genlab.metrics.classes import class_accuracy
from genlab.metrics.modes import nearest_mode
from genlab.metrics.records import unavailable


def predict_classes(dataset: Dataset, classifier, samples: torch.Tensor) -> torch.Tensor:
    """Predicted class [N] of samples in data space: the evaluator's for images, the nearest mode's for 2-D
    mixtures; NotAvailable where neither exists."""
    if dataset.kind == "points":
        if dataset.modes is None or len(dataset.modes) != dataset.num_classes:
            raise NotAvailable(f"{dataset.name}: no mixture modes to classify 2-D samples by")
        native = dataset.to_native(samples).double()
        return nearest_mode(native, dataset.modes.double())[0].long()
    if not isinstance(classifier, Evaluator):
        raise NotAvailable(f"{dataset.name}: no evaluator classifier (unlabelled data)")
    return classifier.predict(samples)


def requested_labels(model, n: int) -> torch.Tensor | None:
    """The labels generate() gives samples 0..n-1 of `model` by default (None: unconditional)."""
    return image_labels(label_cycle(model, None), 0, n)


def conditional_metrics(model, dataset: Dataset, classifier, samples: torch.Tensor) -> dict:
    """Class accuracy of a conditional model's samples (overall with its standard error, and per class), or an
    unavailable record saying why there is none."""
    if not model.conditional:
        return unavailable(f"{model.family}: an unconditional run (train with --conditional)")
    try:
        predicted = predict_classes(dataset, classifier, samples)
    except NotAvailable as e:
        return unavailable(str(e))
    acc = class_accuracy(predicted, requested_labels(model, len(samples)), model.info.num_classes)
    return {"class_accuracy": acc["accuracy"], "class_accuracy_se": acc["accuracy_se"],
            "per_class": acc["per_class"], "n": acc["n"],
            "labels": "sample k is drawn for class k mod K (an even split)",
            "classifier": "nearest mode" if dataset.kind == "points" else classifier.name}
