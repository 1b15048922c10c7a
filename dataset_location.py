"""Where the R2N2 data lives.

A script finds its dataset in this order:
  1. its `--dataset_dir DIR` flag,
  2. the R2N2_DATASET_DIR environment variable,
  3. DATASET_LOCATION below (edit it once to point at your copy of the real R2N2 chairs),
  4. the embedded procedurally generated chairs in ./data/r2n2_synth, built on first use.

A dataset folder holds `shapenet/03001627/<id>/model.obj`, `r2n2/ShapeNetRendering/...`,
`r2n2/ShapeNetVoxels/...` and `split_03001627.json` (the course's learning3d layout).
"""
import os

from cli import InputError
from r2n2_layout import SPLITS_FILE

DATASET_LOCATION = None  # e.g. "/data/r2n2_shapenet_dataset"

REPO_DIR = os.path.dirname(os.path.abspath(__file__))
EMBEDDED_DATASET = os.path.join(REPO_DIR, "data", "r2n2_synth")


def resolve_dataset_dir(dataset_dir=None, build_if_missing=True):
    """The dataset folder to use (see the module docstring); builds the embedded default when needed."""
    for source, value in (
        ("--dataset_dir", dataset_dir),
        ("R2N2_DATASET_DIR", os.environ.get("R2N2_DATASET_DIR")),
        ("dataset_location.DATASET_LOCATION", DATASET_LOCATION),
    ):
        if value:
            value = os.path.abspath(os.path.expanduser(value))
            if not os.path.isfile(os.path.join(value, SPLITS_FILE)):
                what = "does not exist" if not os.path.exists(value) else f"has no {SPLITS_FILE}"
                raise InputError(
                    f"dataset folder {value} (from {source}) {what}; point {source} at the folder holding "
                    f"shapenet/, r2n2/ and {SPLITS_FILE} (README: real R2N2 data), or unset it to use the embedded chairs"
                )
            return value
    if not os.path.isfile(os.path.join(EMBEDDED_DATASET, SPLITS_FILE)):
        if not build_if_missing:
            raise InputError(f"the embedded dataset {EMBEDDED_DATASET} is not built; run `make data`")
        from synthetic.dataset import build_dataset

        print(f"Building the embedded chair dataset in {EMBEDDED_DATASET} (once: 3-10 minutes on 2 CPU cores; "
              "`make data` does the same)")
        build_dataset(EMBEDDED_DATASET)
    return EMBEDDED_DATASET
