import os

import pytest
import torch

# Two cores shared by everything: keep each test single-threaded and deterministic.
torch.set_num_threads(int(os.environ.get("GENLAB_TEST_THREADS", "1")))


def pytest_collection_modifyitems(config, items):
    if os.environ.get("GENLAB_SLOW") == "1":
        return
    skip = pytest.mark.skip(reason="slow test: set GENLAB_SLOW=1")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(autouse=True, scope="session")
def _isolated_cache(tmp_path_factory):
    """Evaluator classifiers are cached per user; tests use a private cache unless one is given."""
    if "GENLAB_CACHE" not in os.environ:
        os.environ["GENLAB_CACHE"] = str(tmp_path_factory.mktemp("genlab-cache"))
    yield
