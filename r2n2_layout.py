"""The R2N2 / learning3d dataset layout on disk: names, paths, the split file, images and cameras.

One place for the facts that the loader (r2n2_custom.py), the embedded-dataset builder and
extract_feats.py all rely on, so the three cannot drift apart:

    DATASET/shapenet/03001627/<model_id>/model.obj
    DATASET/r2n2/ShapeNetRendering/03001627/<model_id>/rendering/{00..23}.png, rendering_metadata.txt, feats.npy
    DATASET/r2n2/ShapeNetVoxels/03001627/<model_id>/model.binvox
    DATASET/split_03001627.json   {"train": {"03001627": {"<model_id>": [views]}}, "val": ..., "test": ...}
"""
import json
import os
import re

import numpy as np
import torch
from PIL import Image
from pytorch3d.datasets.r2n2.utils import compute_extrinsic_matrix

from cli import InputError

SYNSET = "03001627"  # ShapeNet's chair category
SPLITS_FILE = f"split_{SYNSET}.json"
IMAGE_SIZE = 137  # R2N2 renderings are 137 x 137 RGBA
MAX_CAMERA_DISTANCE = 1.75  # R2N2: camera distance = dist_ratio * 1.75
# Blender intrinsics as PyTorch3D's R2N2 loader builds them (focal 2.1875, about 49 degrees of field
# of view); the metadata's fov column ("25") is not applied, exactly as in the official loader.
BLENDER_K = torch.tensor(
    [
        [2.1875, 0.0, 0.0, 0.0],
        [0.0, 2.1875, 0.0, 0.0],
        [0.0, 0.0, -1.002002, -0.2002002],
        [0.0, 0.0, 1.0, 0.0],
    ]
)
# ShapeNet's camera frame to PyTorch3D's (x left, y up, z forward): flip x and z.
_SHAPENET_TO_PYTORCH3D = torch.diag(torch.tensor([-1.0, 1.0, -1.0, 1.0]))
_MODEL_ID = re.compile(r"^[A-Za-z0-9_\-]+$")


def r2n2_camera(azim, elev, dist_ratio):
    """R (3, 3), T (3,), K (4, 4) of one R2N2 view, for `pytorch3d.datasets.r2n2.utils.BlenderCamera`.

    The same computation as `pytorch3d.datasets.R2N2` (its tests hold us to it), so images
    rendered through these cameras line up with the official loader's cameras.
    """
    RT = compute_extrinsic_matrix(azim, elev, dist_ratio * MAX_CAMERA_DISTANCE)  # (4, 4) world -> camera
    RT = RT.t().mm(_SHAPENET_TO_PYTORCH3D)  # PyTorch3D's row-vector convention
    return RT[:3, :3].contiguous(), RT[3, :3].contiguous(), BLENDER_K.clone()


def model_paths(dataset_dir, model_id):
    """The files of one model: obj, binvox, rendering (folder), metadata, feats."""
    rendering = os.path.join(dataset_dir, "r2n2", "ShapeNetRendering", SYNSET, model_id, "rendering")
    return {
        "obj": os.path.join(dataset_dir, "shapenet", SYNSET, model_id, "model.obj"),
        "binvox": os.path.join(dataset_dir, "r2n2", "ShapeNetVoxels", SYNSET, model_id, "model.binvox"),
        "rendering": rendering,
        "metadata": os.path.join(rendering, "rendering_metadata.txt"),
        "feats": os.path.join(rendering, "feats.npy"),
    }


def view_png(dataset_dir, model_id, view):
    return os.path.join(model_paths(dataset_dir, model_id)["rendering"], "%02d.png" % view)


def read_png(path):
    """(137, 137, 3) uint8 RGB of one rendering; alpha dropped, as the official loader does.
    Raises ValueError naming the file when it cannot be read or has another size."""
    try:
        with Image.open(path) as img:
            rgb = np.asarray(img.convert("RGBA"))[..., :3]
    except (OSError, ValueError) as e:
        raise ValueError(f"cannot read image {path}: {e}; re-extract or rebuild the dataset") from None
    if rgb.shape[:2] != (IMAGE_SIZE, IMAGE_SIZE):
        raise ValueError(f"image {path} is {rgb.shape[1]}x{rgb.shape[0]}, expected {IMAGE_SIZE}x{IMAGE_SIZE}")
    return rgb


def split_names(dataset_dir):
    """The split names the split file holds (train, val, test)."""
    return list(_read_split_file(os.path.join(dataset_dir, SPLITS_FILE)))


def split_size(dataset_dir, split):
    """How many chairs the split file lists under `split` (0 when it has no such split)."""
    return len(_read_split_file(os.path.join(dataset_dir, SPLITS_FILE)).get(split, {}).get(SYNSET, {}))


def _read_split_file(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, json.JSONDecodeError) as e:
        raise InputError(f"cannot read split file {path}: {e}") from None


def read_split(dataset_dir, split):
    """[(model_id, [view, ...]), ...] of one split, checked: ids are plain names, every file exists."""
    path = os.path.join(dataset_dir, SPLITS_FILE)
    splits = _read_split_file(path)
    if split not in splits:
        raise InputError(f"split '{split}' is not in {path} (it has: {', '.join(splits)})")
    models = splits[split].get(SYNSET, {})
    if not models:
        raise InputError(f"split '{split}' of {path} has no chairs (synset {SYNSET})")
    out, missing = [], []
    for model_id, views in models.items():
        if not _MODEL_ID.match(model_id):
            raise InputError(f"{path} names model '{model_id}', which is not a plain folder name")
        p = model_paths(dataset_dir, model_id)
        absent = [p[k] for k in ("obj", "binvox", "metadata") if not os.path.isfile(p[k])]
        if absent:
            missing.append(absent[0])
        out.append((model_id, [int(v) for v in views]))
    if missing:
        raise InputError(
            f"split '{split}' of {path} names {len(missing)} model(s) with missing files, e.g. {missing[0]}; "
            "fix the dataset folder or the split file"
        )
    return out
