"""Where the R2N2 data lives.

A script finds its dataset in this order:
  1. its `--dataset_dir DIR` flag,
  2. the R2N2_DATASET_DIR environment variable,
  3. DATASET_LOCATION below (edit it once to point at your copy of the real R2N2 chairs),
  4. the embedded procedurally generated chairs in ./data/r2n2_synth, built on first use; with --classes other than
     chair, the embedded thirteen classes in ./data/r2n2_synth_all (make_synthetic_dataset.py --classes all).

A dataset folder holds `shapenet/<synset>/<id>/model.obj`, `r2n2/ShapeNetRendering/...`, `r2n2/ShapeNetVoxels/...`
and `split_03001627.json` (the course's learning3d layout) or `splits.json` (several classes; r2n2_layout.py).
"""
import os

from cli import InputError
from r2n2_layout import SPLITS_FILE, SYNSET, is_dataset, parse_classes

DATASET_LOCATION = None  # e.g. "/data/r2n2_shapenet_dataset"

REPO_DIR = os.path.dirname(os.path.abspath(__file__))
EMBEDDED_DATASET = os.path.join(REPO_DIR, "data", "r2n2_synth")
EMBEDDED_ALL_CLASSES = os.path.join(REPO_DIR, "data", "r2n2_synth_all")


def resolve_dataset_dir(dataset_dir=None, build_if_missing=True, classes="chair"):
    """The dataset folder to use (see the module docstring); builds the embedded default when needed.
    `classes` (a --classes value or synsets) picks the embedded dataset: the chairs alone, else the thirteen classes."""
    for source, value in (
        ("--dataset_dir", dataset_dir),
        ("R2N2_DATASET_DIR", os.environ.get("R2N2_DATASET_DIR")),
        ("dataset_location.DATASET_LOCATION", DATASET_LOCATION),
    ):
        if value:
            value = os.path.abspath(os.path.expanduser(value))
            if not is_dataset(value):
                what = "does not exist" if not os.path.exists(value) else f"has no {SPLITS_FILE} or splits.json"
                raise InputError(
                    f"dataset folder {value} (from {source}) {what}; point {source} at the folder holding "
                    f"shapenet/, r2n2/ and {SPLITS_FILE} (README: real R2N2 data), or unset it to use the embedded chairs"
                )
            return value
    if parse_classes(classes) == [SYNSET]:
        folder, what, command = EMBEDDED_DATASET, "chair dataset", "`make data` does the same"
    else:
        folder, what, command = EMBEDDED_ALL_CLASSES, "thirteen-class dataset", \
            "`python make_synthetic_dataset.py --classes all --out data/r2n2_synth_all` does the same"
    if not is_dataset(folder):
        if not build_if_missing:
            raise InputError(f"the embedded {what} {folder} is not built; {command.split(' does')[0]}")
        from synthetic.dataset import build_dataset

        print(f"Building the embedded {what} in {folder} (once: 3-10 minutes on 2 CPU cores; {command})")
        build_dataset(folder, **({} if folder == EMBEDDED_DATASET else dict(num_models=None, classes="all")))
    return folder
