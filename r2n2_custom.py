"""R2N2 for single-view reconstruction: the Dataset, its batches and the sampler that orders them.

Every split of every class is read once into a cache of memory-mapped arrays (r2n2_cache.py); an item is one
(model, view) of it. Several classes are one dataset whose models follow each other class by class. The file
layout, cameras and split files are read through r2n2_layout.py."""
import hashlib
import json
import os

import numpy as np
import torch
from pytorch3d.structures import Meshes
from torch.utils.data import Dataset

from dataset_location import resolve_dataset_dir
from metrics import N_EVAL_POINTS
from r2n2_cache import cache_root, gather_feats, split_cache
from r2n2_layout import BLENDER_K, parse_classes, plural, read_split
from utils_vox import VOX_SIZE


class Stacked:
    """The rows of several arrays (one per class) as one array indexed by a global row, without copying them:
    the real train split's images alone are 59 GB over the thirteen classes."""

    def __init__(self, arrays):
        self.arrays = arrays
        self.start = np.cumsum([0] + [len(a) for a in arrays])  # (C + 1,)
        self.shape = (int(self.start[-1]),) + tuple(arrays[0].shape[1:])

    def __len__(self):
        return self.shape[0]

    def __array__(self, dtype=None, copy=None):
        return np.concatenate([np.asarray(a, dtype) for a in self.arrays])

    def __getitem__(self, rows):
        if np.ndim(rows) == 0:
            c = int(np.searchsorted(self.start, rows, side="right")) - 1
            return self.arrays[c][int(rows) - self.start[c]]
        return np.stack([self[r] for r in np.asarray(rows).reshape(-1)])


class R2N2(Dataset):
    """One R2N2 split of one or more classes, one item per (model, view).

    Args:
        split: "train", "val" or "test".
        dataset_dir: the dataset folder; None resolves it as `dataset_location` describes.
        views: "all" (every view the split lists) or "one" (one view per model, the model's
            (index mod #views)-th listed view, so a test split covers all azimuths reproducibly).
        return_feats: also return the precomputed 512-d encoder feature of the view (feats.npy).
        return_normals: also return the outward normals at the surface points (the evaluators' normal
            consistency; training does not read them, so its batches do not carry 120 KB more per item).
        n_points: how many ground-truth surface points are cached per model.
        classes: a --classes value ("chair", "all", "chair,table", synset ids) or a list of synsets.

    Each item is a dict:
        images (137, 137, 3) float in [0, 1]; R (3, 3), T (3,), K (4, 4): the view's BlenderCamera;
        voxels (32, 32, 32) float {0, 1} in the frame of utils_vox (axes z, y, x, cube [-0.5, 0.5]^3);
        points (n_points, 3) samples of the mesh's outer surface; verts (V, 3), faces (F, 3) the mesh;
        model_id, synset (its class), view, model_index; feats (512,) and normals (n_points, 3), the outward
        unit normal at each point, when asked for.
    model_synset (M,) gives each model's class; synsets lists the classes in the order their models come.
    """

    def __init__(self, split, dataset_dir=None, views="all", return_feats=False, n_points=N_EVAL_POINTS,
                 return_normals=False, classes="chair"):
        if views not in ("all", "one"):
            raise ValueError(f"views must be 'all' or 'one', not {views!r}")
        self.synsets = parse_classes(classes)
        self.dataset_dir = resolve_dataset_dir(dataset_dir, classes=self.synsets)
        self.split = split
        self.return_normals = return_normals
        parts, keys = [], []
        for synset in self.synsets:
            cache, key = split_cache(self.dataset_dir, split, synset, read_split(self.dataset_dir, split, synset), n_points)
            load = lambda name, mmap=None: np.load(os.path.join(cache, name + ".npy"), mmap_mode=mmap)
            part = {name: load(name, "r") for name in ("images", "points", "normals")}
            part.update({name: load(name) for name in ("R", "T", "item_model", "item_view", "voxels", "verts", "faces",
                                                       "vert_offsets", "face_offsets")})
            part["model_ids"] = json.load(open(os.path.join(cache, "meta.json")))["model_ids"]  # the models that could be read
            part["cache"] = cache
            parts.append(part)
            keys.append(key)
        self.model_ids = [m for p in parts for m in p["model_ids"]]
        n_models = [len(p["model_ids"]) for p in parts]
        self.model_synset = np.repeat(np.arange(len(parts)), n_models)  # (M,) index into self.synsets
        self.model_start = np.cumsum([0] + n_models)  # (C + 1,) each class's first model
        self.R = torch.from_numpy(np.concatenate([p["R"] for p in parts]))
        self.T = torch.from_numpy(np.concatenate([p["T"] for p in parts]))
        self.item_model = np.concatenate([p["item_model"] + s for p, s in zip(parts, self.model_start)])
        self.item_view = np.concatenate([p["item_view"] for p in parts])
        self._parts = parts
        rows = lambda arrays: arrays[0] if len(arrays) == 1 else Stacked(arrays)  # one class: the cache's own arrays
        self.images, self.points, self.normals, self.voxels = (rows([p[k] for p in parts])
                                                               for k in ("images", "points", "normals", "voxels"))
        self.feats = rows([gather_feats(self.dataset_dir, synset, p["cache"], p["model_ids"], p["item_model"],
                                        p["item_view"]) for synset, p in zip(self.synsets, parts)]) if return_feats else None
        if len(parts) == 1:  # where derived caches (occupancy.QueryPool) live: beside the class's cache
            self.cache_dir, self.cache_key = parts[0]["cache"], keys[0]
            self.verts, self.faces = parts[0]["verts"], parts[0]["faces"]
            self.vert_offsets, self.face_offsets = parts[0]["vert_offsets"], parts[0]["face_offsets"]
        else:  # or in a folder of their own for the class set
            self.cache_key = hashlib.sha1(" ".join(keys).encode()).hexdigest()
            self.cache_dir = os.path.join(cache_root(self.dataset_dir), "sets", f"{split}-{self.cache_key[:16]}")
            os.makedirs(self.cache_dir, exist_ok=True)
        self.items = np.arange(len(self.item_model))
        if views == "one":
            first = np.searchsorted(self.item_model, np.arange(len(self.model_ids)))  # items are grouped by model
            count = np.bincount(self.item_model, minlength=len(self.model_ids))
            self.items = first + np.arange(len(self.model_ids)) % count

    def __len__(self):
        return len(self.items)

    def describe(self):
        """"120 chairs" or "780 models of 13 classes": what a split holds, for messages."""
        if len(self.synsets) == 1:
            return f"{len(self.model_ids)} {plural(self.synsets[0])}"
        return f"{len(self.model_ids)} models of {len(self.synsets)} classes"

    def synset_of(self, model_index):
        return self.synsets[self.model_synset[model_index]]

    def example_synsets(self):
        """Each item's class, in item order: the rows of a metrics file."""
        return [self.synsets[c] for c in self.model_synset[self.item_model[self.items]]]

    def mesh(self, model_index):
        """(verts (V, 3), faces (F, 3)) of one model."""
        c = self.model_synset[model_index]
        p, m = self._parts[c], model_index - self.model_start[c]
        v0, v1 = p["vert_offsets"][m], p["vert_offsets"][m + 1]
        f0, f1 = p["face_offsets"][m], p["face_offsets"][m + 1]
        return torch.from_numpy(p["verts"][v0:v1]), torch.from_numpy(p["faces"][f0:f1].astype(np.int64))

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
            "model_id": self.model_ids[m], "synset": self.synset_of(m), "view": int(self.item_view[i]), "model_index": m,
        }
        if self.feats is not None:
            item["feats"] = torch.from_numpy(np.array(self.feats[i]))
        if self.return_normals:
            item["normals"] = torch.from_numpy(np.array(self.normals[m]))
        return item


def collate_batched_R2N2(batch):
    """Stack the tensors of a list of items; meshes become one `Meshes` under "mesh"."""
    out = {}
    for key in batch[0]:
        values = [b[key] for b in batch]
        if key in ("verts", "faces", "model_id", "synset", "view", "model_index"):
            out[key] = values
        else:
            out[key] = torch.stack(values)
    out["mesh"] = Meshes(out["verts"], out["faces"])
    return out


def class_weights(dataset):
    """(I,) each item's weight for class-balanced sampling: 1 / the items of its class, so every class is drawn
    equally often whatever its size (tables and cars outnumber telephones eight to one in the real split)."""
    item_class = dataset.model_synset[dataset.item_model[dataset.items]]  # (I,)
    return torch.from_numpy(1.0 / np.bincount(item_class)[item_class])


class EpochBatchSampler(torch.utils.data.Sampler):
    """Endless batches: each epoch a fresh permutation that is a function of (seed, epoch) alone.

    Because the order depends on nothing else, training resumed at `start_step` sees exactly the
    batches the uninterrupted run would have seen. The last incomplete batch of an epoch is dropped.
    In a DDP run of `world` processes, `batch_size` is the global batch and rank r takes the r-th
    contiguous slice of it: the ranks' shares are disjoint, together they are the one-process batch
    (so world size may change on resume), and each rank reads only its own images.
    With `weights` (I,) an epoch is instead as many items drawn with replacement in proportion to them
    (class_weights), seeded the same way.
    """

    def __init__(self, n_items, batch_size, seed=0, start_step=0, rank=0, world=1, weights=None):
        if n_items == 0:
            raise ValueError("the dataset is empty")
        self.n, self.batch_size, self.seed, self.start_step = n_items, min(batch_size, n_items), seed, start_step
        if self.batch_size % world:
            raise ValueError(f"a batch of {self.batch_size} does not split evenly over {world} processes")
        self.share = self.batch_size // world
        self.rank = rank
        self.weights = weights

    def __iter__(self):
        per_epoch = self.n // self.batch_size
        step = self.start_step
        while True:
            epoch, k = divmod(step, per_epoch)
            g = torch.Generator().manual_seed(self.seed * 1_000_003 + epoch)
            perm = torch.randperm(self.n, generator=g) if self.weights is None else \
                torch.multinomial(self.weights, self.n, replacement=True, generator=g)
            first = k * self.batch_size + self.rank * self.share
            yield perm[first:first + self.share].tolist()
            step += 1
