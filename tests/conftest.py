"""Shared fixtures: one tiny generated dataset for the whole session (a few seconds to build)."""
import os
import sys

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)
os.environ.setdefault("MPLBACKEND", "Agg")


@pytest.fixture(scope="session")
def tiny_dataset(tmp_path_factory):
    """10 chairs x 4 views in the R2N2 layout; splits of 8 / 0-1 / 1-2 chairs."""
    from synthetic_dataset import build_dataset

    out = str(tmp_path_factory.mktemp("data") / "tiny")
    build_dataset(out, num_models=10, views=4, seed=123, workers=1, quiet=True)
    return out
