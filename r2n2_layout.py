"""The R2N2 / learning3d dataset layout on disk: classes, names, paths, the split files, images and cameras.

One place for the facts that the loader (r2n2_custom.py), the embedded-dataset builder and
extract_feats.py all rely on, so the three cannot drift apart:

    DATASET/shapenet/<synset>/<model_id>/model.obj
    DATASET/r2n2/ShapeNetRendering/<synset>/<model_id>/rendering/{00..23}.png, rendering_metadata.txt, feats.npy
    DATASET/r2n2/ShapeNetVoxels/<synset>/<model_id>/model.binvox
    DATASET/split_03001627.json   {"train": {"03001627": {"<model_id>": [views]}}, "val": ..., "test": ...}
    DATASET/splits.json           the same format holding several synsets, as PyTorch3D's R2N2 and Mesh R-CNN read it

A class's models are listed by split_<synset>.json when that file exists (learning3d's chair download has
split_03001627.json), else by splits.json (copy PyTorch3D's or Mesh R-CNN's split file there for the whole R2N2).
"""
import json
import os
import re

import numpy as np
import torch
from PIL import Image
from pytorch3d.datasets.r2n2.utils import compute_extrinsic_matrix

from cli import InputError

# The thirteen R2N2 classes: name -> ShapeNet synset (WordNet offset), in synset order.
CLASSES = {"airplane": "02691156", "bench": "02828884", "cabinet": "02933112", "car": "02958343", "chair": "03001627",
           "display": "03211117", "lamp": "03636649", "loudspeaker": "03691459", "rifle": "04090263",
           "sofa": "04256520", "table": "04379243", "telephone": "04401088", "vessel": "04530566"}
NAMES = {synset: name for name, synset in CLASSES.items()}
SYNSET = CLASSES["chair"]  # the writeup's class, every script's default
SPLITS_FILE = f"split_{SYNSET}.json"  # learning3d's chair split, the file the course starter reads
ALL_SPLITS_FILE = "splits.json"  # several synsets in one file
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


def parse_classes(text):
    """The synsets a --classes value names, in synset order: "all", or a comma list of names or synset ids."""
    if isinstance(text, (list, tuple)):
        text = ",".join(text)
    words = [w.strip() for w in str(text).split(",") if w.strip()]
    if words == ["all"]:
        return list(NAMES)
    synsets = set()
    for w in words:
        if w not in CLASSES and w not in NAMES:
            raise InputError(f"--classes: '{w}' is not an R2N2 class; use all, or a comma list of "
                             f"{', '.join(CLASSES)} (or their synset ids)")
        synsets.add(CLASSES.get(w, w))
    if not synsets:
        raise InputError("--classes is empty; use all, or a comma list of class names such as chair,table")
    return sorted(synsets)


def plural(synset):
    """The class's name in the plural, for messages: "3 chairs", "3 benches"."""
    name = NAMES.get(synset, synset)
    return name + ("es" if name.endswith("ch") else "s")


def classes_label(synsets):
    """"all", or the names joined by commas: how a class set is written in messages and metrics files."""
    return "all" if sorted(synsets) == list(NAMES) else ",".join(NAMES[s] for s in sorted(synsets))


def model_paths(dataset_dir, model_id, synset=SYNSET):
    """The files of one model: obj, binvox, rendering (folder), metadata, feats."""
    rendering = os.path.join(dataset_dir, "r2n2", "ShapeNetRendering", synset, model_id, "rendering")
    return {
        "obj": os.path.join(dataset_dir, "shapenet", synset, model_id, "model.obj"),
        "binvox": os.path.join(dataset_dir, "r2n2", "ShapeNetVoxels", synset, model_id, "model.binvox"),
        "rendering": rendering,
        "metadata": os.path.join(rendering, "rendering_metadata.txt"),
        "feats": os.path.join(rendering, "feats.npy"),
    }


def view_png(dataset_dir, model_id, view, synset=SYNSET):
    return os.path.join(model_paths(dataset_dir, model_id, synset)["rendering"], "%02d.png" % view)


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


def is_dataset(dataset_dir):
    """Whether the folder has a split file (the mark of a dataset, written last by the embedded builder)."""
    return any(os.path.isfile(os.path.join(dataset_dir, f)) for f in (SPLITS_FILE, ALL_SPLITS_FILE)) or \
        any(n.startswith("split_") and n.endswith(".json") for n in _listdir(dataset_dir))


def _listdir(path):
    try:
        return os.listdir(path)
    except OSError:
        return []


def split_file(dataset_dir, synset=SYNSET):
    """The split file that lists `synset`'s models: split_<synset>.json, else splits.json (InputError naming both
    when neither lists the class)."""
    own, shared = os.path.join(dataset_dir, f"split_{synset}.json"), os.path.join(dataset_dir, ALL_SPLITS_FILE)
    if os.path.isfile(own):
        return own
    if os.path.isfile(shared) and any(synset in v for v in _read_split_file(shared).values()):
        return shared
    have = [NAMES.get(s, s) for s in dataset_synsets(dataset_dir)]
    raise InputError(f"class {NAMES.get(synset, synset)} ({synset}) is not in {dataset_dir}: neither split_{synset}.json "
                     f"nor {ALL_SPLITS_FILE} lists it (the folder has: {', '.join(have) or 'no class'}); "
                     f"choose --classes among those, or build the classes with make_synthetic_dataset.py --classes")


def dataset_synsets(dataset_dir):
    """The synsets the folder's split files list, in synset order."""
    found = set()
    for name in _listdir(dataset_dir):
        if name == ALL_SPLITS_FILE or (name.startswith("split_") and name.endswith(".json")):
            for per_split in _read_split_file(os.path.join(dataset_dir, name)).values():
                found.update(s for s, models in per_split.items() if models)
    return sorted(found)


def split_names(dataset_dir, classes=(SYNSET,)):
    """The split names (train, val, test) the split files of every class hold."""
    names = [list(_read_split_file(split_file(dataset_dir, s))) for s in classes]
    return [n for n in names[0] if all(n in other for other in names[1:])]


def split_size(dataset_dir, split, classes=(SYNSET,)):
    """How many models the split files list under `split` for the classes (0 when there is no such split)."""
    return sum(len(_read_split_file(split_file(dataset_dir, s)).get(split, {}).get(s, {})) for s in classes)


_PARSED = {}  # (path, size, mtime) -> the split file's dict: a shared splits.json is read once, not once per class


def _read_split_file(path):
    """The split file's dict (callers only read it), parsed again only when the file changes."""
    try:
        st = os.stat(path)
        key = (path, st.st_size, st.st_mtime_ns)
        if key not in _PARSED:
            with open(path) as f:
                _PARSED[key] = json.load(f)
        return _PARSED[key]
    except (OSError, json.JSONDecodeError) as e:
        raise InputError(f"cannot read split file {path}: {e}") from None


def read_split(dataset_dir, split, synset=SYNSET):
    """[(model_id, [view, ...]), ...] of one class's split, checked: ids are plain names, every file exists."""
    path = split_file(dataset_dir, synset)
    splits = _read_split_file(path)
    if split not in splits:
        raise InputError(f"split '{split}' is not in {path} (it has: {', '.join(splits)})")
    models = splits[split].get(synset, {})
    if not models:
        raise InputError(f"split '{split}' of {path} has no {plural(synset)} (synset {synset})")
    out, missing = [], []
    for model_id, views in models.items():
        if not _MODEL_ID.match(model_id):
            raise InputError(f"{path} names model '{model_id}', which is not a plain folder name")
        p = model_paths(dataset_dir, model_id, synset)
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
