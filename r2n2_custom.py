"""R2N2 chairs for single-view reconstruction: a per-split cache, the Dataset over it, batching.

The file layout, cameras and split file are read through r2n2_layout.py."""
import hashlib
import json
import os
import shutil
import sys

import numpy as np
import torch
from pytorch3d.io import load_obj
from pytorch3d.structures import Meshes
from torch.utils.data import Dataset
from tqdm import tqdm

from dataset_location import resolve_dataset_dir
from metrics import N_EVAL_POINTS
from occupancy import outer_surface_points
from r2n2_layout import BLENDER_K, IMAGE_SIZE, SPLITS_FILE, model_paths, r2n2_camera, read_png, read_split, view_png
from utils_vox import VOX_SIZE, canonical_grid_from_binvox, read_binvox, voxel_surface_f1


# ---------------------------------------------------------------------------------------------------
# The dataset.
#
# Training must not parse OBJ/binvox/PNG files on every step, so each split is read once into a cache
# of flat numpy arrays (memory-mapped, so even the 9 GB of real R2N2 images never need to fit in RAM):
#   images    (I, 137, 137, 3) uint8   one row per (model, view) item of the split
#   R, T      (I, 3, 3), (I, 3)        that view's camera (K is the same for every view)
#   item_model, item_view  (I,)        which model and view each item is
#   voxels    (M, 4096) uint8          the 32^3 grid of each model, aligned to its mesh, canonical frame, np.packbits
#   points    (M, P, 3) float32        P points sampled once (seeded) on the outer surface of each ground-truth mesh
#   verts, faces, vert_offsets, face_offsets   all meshes concatenated
#   feats     (I, C) float32           only when every model has rendering/feats.npy (C = 512 for ResNet18)
# The cache is rebuilt when any source file changes (size or mtime) or the split file changes.
# ---------------------------------------------------------------------------------------------------
CACHE_VERSION = 2  # 2: voxels aligned to the mesh (binvox header ignored), points on the outer surface only


def _fingerprint(dataset_dir, models, n_points):
    h = hashlib.sha1(f"{CACHE_VERSION} {n_points}".encode())
    with open(os.path.join(dataset_dir, SPLITS_FILE), "rb") as f:
        h.update(f.read())
    for model_id, views in models:
        p = model_paths(dataset_dir, model_id)
        files = [p["obj"], p["binvox"], p["metadata"], p["feats"]]
        files += [view_png(dataset_dir, model_id, v) for v in views]
        for name in files:
            try:
                st = os.stat(name)
                h.update(f"{name} {st.st_size} {st.st_mtime_ns}".encode())
            except FileNotFoundError:
                h.update(f"{name} -".encode())
    return h.hexdigest()


def _cache_dir(dataset_dir, split):
    root = os.environ.get("R2N2_CACHE_DIR")
    if not root:
        writable = os.access(dataset_dir, os.W_OK)
        root = os.path.join(dataset_dir, ".r2n2_cache") if writable else os.path.join(
            os.path.dirname(os.path.abspath(__file__)), "data", "cache",
            hashlib.sha1(dataset_dir.encode()).hexdigest()[:12])
    return os.path.join(root, split)


def _read_mesh(path):
    try:
        verts, faces, _ = load_obj(path, load_textures=False)
    except (OSError, ValueError) as e:
        raise SystemExit(f"error: cannot read mesh {path}: {e}") from None
    if len(verts) == 0 or len(faces.verts_idx) == 0:
        raise SystemExit(f"error: mesh {path} has no vertices or no faces")
    return verts, faces.verts_idx


def _build_cache(dataset_dir, models, n_points, out_dir, key):
    """Read every file of a split once and write the arrays described above into `out_dir`, atomically.

    Warns (one line per model) where the ground-truth voxels and mesh disagree: F1@0.05 below 90 between
    the voxel grid's surface and the mesh's points, which a correct 32^3 grid of a chair clears.
    """
    n_items = sum(len(v) for _, v in models)
    tmp = f"{out_dir}.tmp-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    os.makedirs(tmp)
    mm = lambda name, shape, dtype: np.lib.format.open_memmap(os.path.join(tmp, name + ".npy"), "w+", dtype, shape)
    images = mm("images", (n_items, IMAGE_SIZE, IMAGE_SIZE, 3), np.uint8)
    R = np.zeros((n_items, 3, 3), np.float32)
    T = np.zeros((n_items, 3), np.float32)
    item_model = np.zeros(n_items, np.int64)
    item_view = np.zeros(n_items, np.int64)
    voxels = np.zeros((len(models), VOX_SIZE ** 3 // 8), np.uint8)
    points = mm("points", (len(models), n_points, 3), np.float32)
    has_feats = all(os.path.isfile(model_paths(dataset_dir, m)["feats"]) for m, _ in models)
    feat_dim = np.load(model_paths(dataset_dir, models[0][0])["feats"], mmap_mode="r").shape[1] if has_feats else 0
    feats = mm("feats", (n_items, feat_dim), np.float32) if has_feats else None
    verts_all, faces_all = [], []
    item = 0
    for m, (model_id, views) in enumerate(tqdm(models, desc=f"caching {os.path.basename(out_dir)} split", unit="model")):
        p = model_paths(dataset_dir, model_id)
        verts, faces = _read_mesh(p["obj"])
        verts_all.append(verts.numpy().astype(np.float32))
        faces_all.append(faces.numpy().astype(np.int32))
        try:
            occ, _translate, _scale = read_binvox(p["binvox"])  # header ignored: R2N2's does not place the voxels on the mesh
        except ValueError as e:
            raise SystemExit(f"error: {e}") from None
        if not occ.any():
            raise SystemExit(f"error: voxel file {p['binvox']} has no occupied voxel")
        grid = canonical_grid_from_binvox(occ, verts)  # (32, 32, 32) bool
        voxels[m] = np.packbits(grid.reshape(-1))
        points[m] = outer_surface_points(verts, faces, n_points, seed=m).numpy()
        f1 = voxel_surface_f1(grid, torch.from_numpy(np.array(points[m, :4000])), seed=m)  # 4000 points: 1/6 of the knn time of 10000
        if f1 < 90:
            tqdm.write(f"warning: model {model_id}: ground-truth voxels and mesh disagree, F1@0.05 = {f1:.1f} < 90 "
                       f"between the voxel surface and the mesh", file=sys.stderr)
        with open(p["metadata"]) as f:
            metadata = [line.split() for line in f if line.strip()]
        feat = np.load(p["feats"]) if has_feats else None
        for v in views:
            if v >= len(metadata):
                raise SystemExit(f"error: {p['metadata']} has no line for view {v} named in the split file")
            azim, elev, _yaw, dist_ratio = (float(x) for x in metadata[v][:4])
            r, t, _ = r2n2_camera(azim, elev, dist_ratio)
            R[item], T[item] = r.numpy(), t.numpy()
            images[item] = read_png(view_png(dataset_dir, model_id, v))
            if has_feats:
                feats[item] = feat[v]
            item_model[item], item_view[item] = m, v
            item += 1
    vert_offsets = np.cumsum([0] + [len(v) for v in verts_all])
    face_offsets = np.cumsum([0] + [len(f) for f in faces_all])
    for name, arr in dict(R=R, T=T, item_model=item_model, item_view=item_view, voxels=voxels,
                          verts=np.concatenate(verts_all), faces=np.concatenate(faces_all),
                          vert_offsets=vert_offsets, face_offsets=face_offsets).items():
        np.save(os.path.join(tmp, name + ".npy"), arr)
    del images, points, feats  # flush the memory maps
    with open(os.path.join(tmp, "meta.json"), "w") as f:
        json.dump({"key": key, "model_ids": [m for m, _ in models], "has_feats": has_feats}, f)
    shutil.rmtree(out_dir, ignore_errors=True)
    os.replace(tmp, out_dir)


class R2N2(Dataset):
    """One R2N2 split, one item per (model, view).

    Args:
        split: "train", "val" or "test".
        dataset_dir: the dataset folder; None resolves it as `dataset_location` describes.
        views: "all" (every view the split lists) or "one" (one view per model, the model's
            (index mod #views)-th listed view, so a test split covers all azimuths reproducibly).
        return_feats: also return the precomputed 512-d encoder feature of the view (feats.npy).
        n_points: how many ground-truth surface points are cached per model.

    Each item is a dict:
        images (137, 137, 3) float in [0, 1]; R (3, 3), T (3,), K (4, 4): the view's BlenderCamera;
        voxels (32, 32, 32) float {0, 1} in the frame of utils_vox (axes z, y, x, cube [-0.5, 0.5]^3);
        points (n_points, 3) surface samples of the mesh; verts (V, 3), faces (F, 3) the mesh;
        model_id, view, model_index; feats (512,) when asked for.
    """

    def __init__(self, split, dataset_dir=None, views="all", return_feats=False, n_points=N_EVAL_POINTS):
        if views not in ("all", "one"):
            raise ValueError(f"views must be 'all' or 'one', not {views!r}")
        self.dataset_dir = resolve_dataset_dir(dataset_dir)
        self.split = split
        models = read_split(self.dataset_dir, split)
        cache = _cache_dir(self.dataset_dir, split)
        key = _fingerprint(self.dataset_dir, models, n_points)
        meta_path = os.path.join(cache, "meta.json")
        meta = json.load(open(meta_path)) if os.path.isfile(meta_path) else {}
        if meta.get("key") != key:
            _build_cache(self.dataset_dir, models, n_points, cache, key)
            meta = json.load(open(meta_path))
        if return_feats and not meta["has_feats"]:
            raise SystemExit(
                f"error: --load_feat needs rendering/feats.npy for every model of {self.dataset_dir}; "
                "write them with `python extract_feats.py` first"
            )
        load = lambda name, mmap=None: np.load(os.path.join(cache, name + ".npy"), mmap_mode=mmap)
        self.cache_dir, self.cache_key = cache, key  # where and for what derived caches (occupancy.QueryPool) live
        self.model_ids = meta["model_ids"]
        self.images = load("images", "r")
        self.points = load("points", "r")
        self.feats = load("feats", "r") if return_feats else None
        self.R, self.T = torch.from_numpy(load("R")), torch.from_numpy(load("T"))
        self.item_model, self.item_view = load("item_model"), load("item_view")
        self.voxels = load("voxels")
        self.verts, self.faces = load("verts"), load("faces")
        self.vert_offsets, self.face_offsets = load("vert_offsets"), load("face_offsets")
        self.items = np.arange(len(self.item_model))
        if views == "one":
            first = np.searchsorted(self.item_model, np.arange(len(self.model_ids)))  # items are grouped by model
            count = np.bincount(self.item_model, minlength=len(self.model_ids))
            self.items = first + np.arange(len(self.model_ids)) % count

    def __len__(self):
        return len(self.items)

    def mesh(self, model_index):
        """(verts (V, 3), faces (F, 3)) of one model."""
        v0, v1 = self.vert_offsets[model_index], self.vert_offsets[model_index + 1]
        f0, f1 = self.face_offsets[model_index], self.face_offsets[model_index + 1]
        return torch.from_numpy(self.verts[v0:v1]), torch.from_numpy(self.faces[f0:f1].astype(np.int64))

    def voxel_grid(self, model_index):
        """(32, 32, 32) float occupancy of one model in the utils_vox frame."""
        bits = np.unpackbits(self.voxels[model_index])
        return torch.from_numpy(bits.reshape(VOX_SIZE, VOX_SIZE, VOX_SIZE).astype(np.float32))

    def __getitem__(self, idx):
        i = self.items[idx]
        m = int(self.item_model[i])
        verts, faces = self.mesh(m)
        item = {
            "images": torch.from_numpy(np.array(self.images[i])).float() / 255.0,
            "R": self.R[i], "T": self.T[i], "K": BLENDER_K,
            "voxels": self.voxel_grid(m),
            "points": torch.from_numpy(np.array(self.points[m])),
            "verts": verts, "faces": faces,
            "model_id": self.model_ids[m], "view": int(self.item_view[i]), "model_index": m,
        }
        if self.feats is not None:
            item["feats"] = torch.from_numpy(np.array(self.feats[i]))
        return item


def collate_batched_R2N2(batch):
    """Stack the tensors of a list of items; meshes become one `Meshes` under "mesh"."""
    out = {}
    for key in batch[0]:
        values = [b[key] for b in batch]
        if key in ("verts", "faces", "model_id", "view", "model_index"):
            out[key] = values
        else:
            out[key] = torch.stack(values)
    out["mesh"] = Meshes(out["verts"], out["faces"])
    return out


class EpochBatchSampler(torch.utils.data.Sampler):
    """Endless batches: each epoch a fresh permutation that is a function of (seed, epoch) alone.

    Because the order depends on nothing else, training resumed at `start_step` sees exactly the
    batches the uninterrupted run would have seen. The last incomplete batch of an epoch is dropped.
    In a DDP run of `world` processes, `batch_size` is the global batch and rank r takes the r-th
    contiguous slice of it: the ranks' shares are disjoint, together they are the one-process batch
    (so world size may change on resume), and each rank reads only its own images.
    """

    def __init__(self, n_items, batch_size, seed=0, start_step=0, rank=0, world=1):
        if n_items == 0:
            raise ValueError("the dataset is empty")
        self.n, self.batch_size, self.seed, self.start_step = n_items, min(batch_size, n_items), seed, start_step
        if self.batch_size % world:
            raise ValueError(f"a batch of {self.batch_size} does not split evenly over {world} processes")
        self.share = self.batch_size // world
        self.rank = rank

    def __iter__(self):
        per_epoch = self.n // self.batch_size
        step = self.start_step
        while True:
            epoch, k = divmod(step, per_epoch)
            perm = torch.randperm(self.n, generator=torch.Generator().manual_seed(self.seed * 1_000_003 + epoch))
            first = k * self.batch_size + self.rank * self.share
            yield perm[first:first + self.share].tolist()
            step += 1
