"""The per-split cache of the R2N2 chairs: every file of a split read once into memory-mapped arrays.

Training never parses OBJ, binvox or PNG files in its loop: the first use of a split reads every file once into
memory-mapped arrays in DATASET/.r2n2_cache/<split>/ (or data/cache/<hash>/<split>/ in the repo when the dataset
folder is read-only; R2N2_CACHE_DIR overrides both). The fingerprint covers every source file (OBJ, binvox, PNG,
metadata: name within the dataset folder, size, mtime), the split file, the point count and CACHE_VERSION; the cache
is rebuilt only when it changes. Writing feats.npy (extract_feats.py) adds features beside the cache
(feats-<hash>.npy) and rebuilds nothing. The size is mostly the images, uint8 137x137x3 (56 KB per view), plus 10k outer-surface points per chair
with their outward normals (240 KB) and the meshes' vertex and face arrays.

The arrays of a split, one row per (model, view) item or per model:
  images    (I, 137, 137, 3) uint8   one row per (model, view) item of the split
  R, T      (I, 3, 3), (I, 3)        that view's camera (K is the same for every view)
  item_model, item_view  (I,)        which model and view each item is
  voxels    (M, 4096) uint8          the 32^3 grid of each model, aligned to its mesh, canonical frame, np.packbits
  points    (M, P, 3) float32        P points sampled once (seeded) on the outer surface of each ground-truth mesh
  normals   (M, P, 3) float32        the outward unit normal at each of those points (its face's, turned outwards)
  verts, faces, vert_offsets, face_offsets   all meshes concatenated
M counts the models that could be read. The encoder features (rendering/feats.npy, --load_feat) are gathered into
feats-<hash>.npy (I, C) on first use, apart, so that writing them never rebuilds the cache.

Ground truth, as the official loaders read it: the voxel targets ignore the binvox header and align the bounding
box of the occupied voxels to the mesh's, as PyTorch3D's R2N2 loader (align_bbox, from Mesh R-CNN) and the course
starter do, then fill the 32^3 grid over [-0.5, 0.5]^3 (utils_vox.canonical_grid_from_binvox). The points lie on
the mesh's outer surface only (outer_surface.py). The build warns, naming the model, where voxels and mesh
disagree (F1@0.05 below VOXEL_MESH_F1 = 90 between the voxel grid's surface and the mesh's points).

The build: a pool of processes (R2N2_CACHE_WORKERS, default every core this process may run on) reads one model
each, with a progress bar in models/s and the time left; each model's rows of the memory maps are written, then a
record of the model. Ctrl-C, a killed process or a crash loses at most the models in flight, and the next run says
`resuming` and continues. The work sits in <split>.build-<key>/ until the cache is complete (assembly), then
takes the cache's name; the records are removed last, so an interrupted assembly redoes itself. Two runs, or the
ranks of a torchrun job, may open the same split at once: the first builds it under a file lock (<split>.lock,
released by the kernel however the process dies), the others wait for the lock outside any collective, so a
first build never meets torchrun's 30-minute timeout (training.DIST_TIMEOUT).

Broken models are skipped, by name: a model whose OBJ has NaN or inf vertices, a face index past the end, no faces
or zero area, whose binvox or a PNG cannot be read, whose metadata lacks a listed view, or that fails in a way no
check foresaw, gets one line (`skipped model <id>: ` and the problem, naming the file) and is left out of the
split; training and evaluation use the models kept. Past MAX_SKIPPED = 1 % of the split (R2N2_MAX_SKIPPED; models
skipped by an earlier run count) the build stops with one line naming the last problem, keeping what it read.
build_report.json beside the arrays lists the models kept and skipped (with the reasons), where voxels and mesh
disagree, the share of points filtered as buried, which test decided each mesh's surface points, the mesh
repairs and the seconds per model of each stage (STAGES). bench_cache.py times the build; measured times are in
RESULTS.md ("Building the cache of the real chairs").
"""
import contextlib
import fcntl
import hashlib
import json
import multiprocessing as mp
import os
import shutil
import signal
import sys
import time
import warnings
import zipfile

import numpy as np
import torch
from pytorch3d.io import load_obj
from tqdm import tqdm

from cli import InputError
from outer_surface import outer_surface_points
from r2n2_layout import IMAGE_SIZE, NAMES, SYNSET, model_paths, r2n2_camera, read_png, split_file, view_png
from runtime import atomic_write, remove_stale_tmp
from utils_vox import VOX_SIZE, canonical_grid_from_binvox, read_binvox, voxel_surface_f1

# 3: outer-surface points from libigl's winding number on repaired meshes, bad models skipped
CACHE_VERSION = 5  # 4: outward unit normals at the surface points; 5: coincident faces judged by their sides, visibility where the winding number is unsure
MAX_SKIPPED = 0.01  # share of a split's models that may be unreadable before the build stops (R2N2_MAX_SKIPPED)
VOXEL_MESH_F1 = 90  # F1@0.05 between a model's voxel surface and its mesh below which the two disagree
STAGES = ("parse", "voxels", "surface", "check", "images", "write")  # what a model's seconds are spent on


class BadModel(ValueError):
    """A model whose files cannot be used; the cache skips it (the message names the file and the problem)."""


def _fingerprint(dataset_dir, synset, models, n_points):
    h = hashlib.sha1(f"{CACHE_VERSION} {n_points}".encode())
    with open(split_file(dataset_dir, synset), "rb") as f:
        h.update(f.read())
    for model_id, views in models:
        p = model_paths(dataset_dir, model_id, synset)
        h.update(_file_stamps([p["obj"], p["binvox"], p["metadata"]] +
                              [view_png(dataset_dir, model_id, v, synset) for v in views], dataset_dir))
    return h.hexdigest()


def _file_stamps(files, root):
    """Name (relative to `root`), size and modification time of each file (or "-" when it is missing), as bytes to
    hash. Relative: the dataset reached through another spelling of its folder (a symlink, a second clone pointing
    at it, a moved folder) keys the same cache instead of rebuilding it for each spelling in turn."""
    out, prefix = [], os.path.join(root, "")
    for name in files:
        rel = name[len(prefix):] if name.startswith(prefix) else os.path.relpath(name, root)  # relpath: 7x the time
        try:
            st = os.stat(name)
            out.append(f"{rel} {st.st_size} {st.st_mtime_ns}")
        except FileNotFoundError:
            out.append(f"{rel} -")
    return "\n".join(out).encode()


def cache_root(dataset_dir):
    """The folder that holds the dataset's caches (see the module docstring)."""
    root = os.environ.get("R2N2_CACHE_DIR")
    if not root:
        writable = os.access(dataset_dir, os.W_OK)
        root = os.path.join(dataset_dir, ".r2n2_cache") if writable else os.path.join(
            os.path.dirname(os.path.abspath(__file__)), "data", "cache",
            hashlib.sha1(dataset_dir.encode()).hexdigest()[:12])
    return root


def _cache_dir(dataset_dir, split, synset):
    """<root>/<synset>/<split>: one cache per class and split, shared by every class set that holds the class."""
    return os.path.join(cache_root(dataset_dir), synset, split)


def cache_workers():
    """How many processes build a cache: R2N2_CACHE_WORKERS, else every core this process may run on."""
    value = os.environ.get("R2N2_CACHE_WORKERS", "")
    if not value:
        return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    if not value.isdigit() or int(value) < 1:
        raise InputError(f"R2N2_CACHE_WORKERS={value} must be a positive number of processes")
    return int(value)


def max_skipped():
    """The share of a split's models that may be skipped: R2N2_MAX_SKIPPED, else MAX_SKIPPED."""
    value = os.environ.get("R2N2_MAX_SKIPPED", "")
    try:
        share = float(value) if value else MAX_SKIPPED
    except ValueError:
        share = -1.0
    if not 0 <= share <= 1:
        raise InputError(f"R2N2_MAX_SKIPPED={value} must be a share of the models between 0 and 1 (e.g. 0.01)")
    return share


@contextlib.contextmanager
def _locked(path, what):
    """Hold an exclusive lock on the file `path` (the kernel releases it when the process dies, however it dies);
    yields the lock's file descriptor, which the build's pool processes close (they must not keep the lock)."""
    with open(path, "a") as f:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            print(f"waiting for another process that is building {what} (lock: {path})", file=sys.stderr, flush=True)
            fcntl.flock(f, fcntl.LOCK_EX)
        yield f.fileno()


def _read_mesh(path):
    """(verts (V, 3) float32, faces (F, 3) int64) of an OBJ; BadModel naming the file when it cannot be used."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "Faces have invalid indices": checked below, by name
            verts, faces, _ = load_obj(path, load_textures=False)
    except (OSError, ValueError, IndexError) as e:
        raise BadModel(f"cannot read mesh {path}: {e}") from None
    faces = faces.verts_idx
    if len(verts) == 0 or len(faces) == 0:
        raise BadModel(f"mesh {path} has no vertices or no faces")
    if not torch.isfinite(verts).all():
        raise BadModel(f"mesh {path} has {int((~torch.isfinite(verts)).any(1).sum())} vertices with NaN or inf coordinates")
    if faces.min() < 0 or faces.max() >= len(verts):
        raise BadModel(f"mesh {path} has faces with vertex indices outside 1..{len(verts)}")
    a, b, c = verts[faces].unbind(1)  # (F, 3) each
    if not torch.linalg.cross(b - a, c - a).norm(dim=1).sum() > 0:
        raise BadModel(f"mesh {path} has no area (every face is degenerate)")
    return verts, faces


def _read_cameras(path, views):
    """R (v, 3, 3), T (v, 3) of the listed views from rendering_metadata.txt."""
    try:
        with open(path) as f:
            metadata = [line.split() for line in f if line.strip()]
        R, T = [], []
        for v in views:
            if v >= len(metadata):
                raise BadModel(f"{path} has no line for view {v} named in the split file")
            azim, elev, _yaw, dist_ratio = (float(x) for x in metadata[v][:4])
            r, t, _ = r2n2_camera(azim, elev, dist_ratio)
            R.append(r.numpy())
            T.append(t.numpy())
    except (OSError, ValueError) as e:  # BadModel is a ValueError
        raise BadModel(e if isinstance(e, BadModel) else f"cannot read cameras from {path}: {e}") from None
    return np.stack(R), np.stack(T)


_JOB = {}  # what the pool's processes share: set by _start_worker


def _start_worker(job, pool=True):
    """A build process of the pool: one CPU thread for torch and libigl (the processes share the cores), Ctrl-C
    left to the parent (which stops the pool), the memory maps open."""
    if pool:
        torch.set_num_threads(1)
        os.environ["IGL_NUM_THREADS"] = "1"
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        os.close(job["lock"])  # the parent holds the lock; a pool process outliving it must not
    _JOB.clear()
    _JOB.update(job)


def _rows(name):
    """The memory map `name` of the build, opened on first use (an error then reaches the parent, not the pool)."""
    if name not in _JOB:
        _JOB[name] = np.load(os.path.join(_JOB["build"], name + ".npy"), mmap_mode="r+")
    return _JOB[name]


def _cache_model(m):
    """Read model m of the split into its rows of the memory maps, then write its record (build/models/m.npz).

    Returns (m, model_id, stage seconds, statistics, why it was skipped or None)."""
    model_id, views = _JOB["models"][m]
    first = _JOB["item_start"][m]
    p = model_paths(_JOB["dataset_dir"], model_id, _JOB["synset"])
    seconds, stats, clock = {}, {}, time.perf_counter()

    def lap(stage):
        nonlocal clock
        now = time.perf_counter()
        seconds[stage] = seconds.get(stage, 0.0) + now - clock
        clock = now

    try:
        verts, faces = _read_mesh(p["obj"])
        lap("parse")
        try:
            occ, _translate, _scale = read_binvox(p["binvox"])  # header ignored: R2N2's does not place the voxels on the mesh
        except ValueError as e:
            raise BadModel(str(e)) from None
        if not occ.any():
            raise BadModel(f"voxel file {p['binvox']} has no occupied voxel")
        grid = canonical_grid_from_binvox(occ, verts)  # (32, 32, 32) bool
        lap("voxels")
        surface = {}
        points, normals = outer_surface_points(verts, faces, _JOB["n_points"], seed=m, report=surface, return_normals=True)
        points, normals = points.numpy(), normals.numpy()  # (P, 3) each
        lap("surface")
        stats.update(surface, voxel_mesh_f1=voxel_surface_f1(grid, torch.from_numpy(points[:4000]), seed=m))  # 4000: 1/6 of the knn time
        lap("check")
        R, T = _read_cameras(p["metadata"], views)
        images = []
        for v in views:
            try:
                images.append(read_png(view_png(_JOB["dataset_dir"], model_id, v, _JOB["synset"])))
            except ValueError as e:
                raise BadModel(str(e)) from None
        lap("images")
    except Exception as e:  # BadModel, or a library failing on a file no check foresaw: skipped, named, counted
        why = str(e) if isinstance(e, BadModel) else f"{p['obj']}: {type(e).__name__} while caching it: {e}"
        atomic_write(_record_path(_JOB["build"], m), lambda tmp: np.savez(tmp, skipped=np.array(why)))
        return m, model_id, seconds, stats, why
    _rows("images")[first:first + len(views)] = np.stack(images)
    _rows("points")[m] = points
    _rows("normals")[m] = normals
    _rows("voxels")[m] = np.packbits(grid.reshape(-1))
    for name in ("images", "points", "normals", "voxels"):
        _rows(name).flush()  # the rows are on disk before the record says the model is done
    lap("write")
    record = dict(verts=verts.numpy().astype(np.float32), faces=faces.numpy().astype(np.int32), R=R, T=T,
                  stats=np.array(json.dumps(dict(stats, seconds=seconds))))
    atomic_write(_record_path(_JOB["build"], m), lambda tmp: np.savez(tmp, **record))
    return m, model_id, seconds, stats, None


def _record_path(build, m):
    return os.path.join(build, "models", f"{m:06d}.npz")


def _skipped_by_record(path):
    """What the record of a model says: False (no usable record: the model is still to do), None (cached), or
    why it was skipped. A record that cannot be read (cut short by a power failure) is removed."""
    if not os.path.isfile(path):
        return False
    try:
        with np.load(path) as record:
            return str(record["skipped"]) if "skipped" in record else None
    except (OSError, ValueError, zipfile.BadZipFile):
        os.remove(path)
        return False


def _build_cache(dataset_dir, synset, models, n_points, out_dir, key):
    """Read every file of a split once and write the arrays described above into `out_dir`, atomically.

    The work happens in `out_dir`.build-<key> (kept until the cache is complete, so a rerun resumes it) under
    a lock; a model that cannot be read is skipped with one line naming the file, and past max_skipped() of
    the split the build stops. Warns (one line per model) where the ground-truth voxels and mesh disagree:
    F1@0.05 below 90 between the voxel grid's surface and the mesh's points, which a correct 32^3 grid of a
    chair clears.
    """
    split = os.path.basename(out_dir)
    os.makedirs(os.path.dirname(out_dir), exist_ok=True)
    with _locked(f"{out_dir}.lock", f"the {NAMES.get(synset, synset)} {split} cache") as lock:
        if _cache_key(out_dir) == key:  # another process built it while this one waited
            return
        remove_stale_tmp(out_dir)  # the folders of builds before resumable ones
        build = f"{out_dir}.build-{key[:16]}"
        for entry in os.listdir(os.path.dirname(out_dir)):  # builds for files that have changed since
            if entry.startswith(f"{split}.build-") and entry != os.path.basename(build):
                shutil.rmtree(os.path.join(os.path.dirname(out_dir), entry), ignore_errors=True)
        os.makedirs(os.path.join(build, "models"), exist_ok=True)
        item_start = np.cumsum([0] + [len(v) for _, v in models])
        for name, shape, dtype in (("images", (int(item_start[-1]), IMAGE_SIZE, IMAGE_SIZE, 3), np.uint8),
                                   ("points", (len(models), n_points, 3), np.float32),
                                   ("normals", (len(models), n_points, 3), np.float32),
                                   ("voxels", (len(models), VOX_SIZE ** 3 // 8), np.uint8)):
            path = os.path.join(build, name + ".npy")
            if not os.path.isfile(path):
                np.lib.format.open_memmap(path + ".new", "w+", dtype, shape).flush()
                os.replace(path + ".new", path)
        _run_pool(dataset_dir, synset, models, n_points, build, item_start, lock)
        _assemble(models, build, item_start, key)
        shutil.rmtree(out_dir, ignore_errors=True)
        os.replace(build, out_dir)
        shutil.rmtree(os.path.join(out_dir, "models"))  # the records: kept until here, so an interrupted assembly redoes itself


def _run_pool(dataset_dir, synset, models, n_points, build, item_start, lock):
    """Cache the models that have no record yet, in a pool of processes; stop past max_skipped()."""
    todo, skipped = [], []
    for m in range(len(models)):
        why = _skipped_by_record(_record_path(build, m))
        if why is False:
            todo.append(m)
        elif why:
            skipped.append(why)
    allowed = int(max_skipped() * len(models))
    split = f"{NAMES.get(synset, synset)} {os.path.basename(build).split('.build-')[0]}"

    def check():
        if len(skipped) > allowed:
            raise InputError(
                f"{len(skipped)} of the {len(models)} models of the {split} split cannot be used "
                f"(more than R2N2_MAX_SKIPPED={max_skipped():g} of them), the last: {skipped[-1]}; fix or remove "
                f"them (or raise R2N2_MAX_SKIPPED); the models read so far are kept for the next run")

    check()  # the models skipped by an earlier run count too
    job = dict(dataset_dir=dataset_dir, synset=synset, models=models, n_points=n_points, build=build, item_start=item_start, lock=lock)
    workers = min(cache_workers(), max(1, len(todo)))
    if len(todo) < len(models):
        print(f"resuming the {split} cache: {len(models) - len(todo)} of {len(models)} models done before",
              file=sys.stderr)
    bar = tqdm(total=len(models), initial=len(models) - len(todo), unit="model", smoothing=0.05,
               desc=f"caching {split} split ({workers} process{'es' if workers > 1 else ''})")
    if workers > 1:
        pool = mp.get_context("fork").Pool(workers, _start_worker, (job,))
        results = pool.imap_unordered(_cache_model, todo)
    else:
        pool = None
        _start_worker(job, pool=False)
        results = map(_cache_model, todo)
    try:
        for m, model_id, _seconds, stats, why in results:
            bar.update()
            if why:
                skipped.append(why)
                tqdm.write(f"skipped model {model_id}: {why}", file=sys.stderr)
                check()
            elif stats["voxel_mesh_f1"] < VOXEL_MESH_F1:
                tqdm.write(f"warning: model {model_id}: ground-truth voxels and mesh disagree, F1@0.05 = "
                           f"{stats['voxel_mesh_f1']:.1f} < {VOXEL_MESH_F1} between the voxel surface and the mesh",
                           file=sys.stderr)
    finally:
        bar.close()
        if pool is not None:
            pool.terminate()
            pool.join()
        _JOB.clear()


def _assemble(models, build, item_start, key):
    """Turn the per-model records of a finished build into the cache's arrays: the models that could be read,
    their meshes concatenated, their cameras; meta.json (written last) and build_report.json."""
    kept, skipped, stats, verts, faces, R, T = [], {}, [], [], [], [], []
    for m, (model_id, _views) in enumerate(models):
        with np.load(_record_path(build, m)) as record:
            if "skipped" in record:
                skipped[model_id] = str(record["skipped"])
                continue
            kept.append(m)
            stats.append(json.loads(str(record["stats"])))
            verts.append(record["verts"])
            faces.append(record["faces"])
            R.append(record["R"])
            T.append(record["T"])
    if not kept:
        raise InputError(f"no model of the split could be read ({len(skipped)} skipped, named above)")
    kept_items = np.concatenate([np.arange(item_start[m], item_start[m + 1]) for m in kept])  # (I',)
    if skipped:  # rows of skipped models leave the arrays
        _keep_rows(os.path.join(build, "images.npy"), kept_items)
        _keep_rows(os.path.join(build, "points.npy"), np.array(kept))
        _keep_rows(os.path.join(build, "normals.npy"), np.array(kept))
        _keep_rows(os.path.join(build, "voxels.npy"), np.array(kept))
    views = [len(models[m][1]) for m in kept]
    arrays = dict(R=np.concatenate(R), T=np.concatenate(T),
                  item_model=np.repeat(np.arange(len(kept)), views),
                  item_view=np.concatenate([models[m][1] for m in kept]).astype(np.int64),
                  verts=np.concatenate(verts), faces=np.concatenate(faces),
                  vert_offsets=np.cumsum([0] + [len(v) for v in verts]), face_offsets=np.cumsum([0] + [len(f) for f in faces]))
    for name, arr in arrays.items():
        np.save(os.path.join(build, name + ".npy"), arr)
    mean = lambda name: float(np.mean([s[name] for s in stats]))
    report = {
        "models": len(models), "kept": len(kept), "skipped": skipped,
        "voxel_mesh_disagree": {models[m][0]: round(s["voxel_mesh_f1"], 1)
                                for m, s in zip(kept, stats) if s["voxel_mesh_f1"] < VOXEL_MESH_F1},
        "points_rejected_mean": mean("rejected"),
        "surface_test": {models[m][0]: ("visibility for %.1f %% of the samples, the winding number for the rest" % (100 * s["visibility"])
                                        if s["visibility"] else "the winding number") for m, s in zip(kept, stats)},
        "visibility_mean": mean("visibility"),
        "repairs_mean": {k: mean(k) for k in ("welded_vertices", "degenerate_faces", "duplicate_faces", "internal_faces",
                                              "flipped_faces")},
        "seconds_per_model": {k: float(np.mean([s["seconds"].get(k, 0.0) for s in stats])) for k in STAGES},
        "note": "seconds_per_model: one process's time per kept model and stage (the record's write not included); "
                "surface_test: per mesh, which test decided whether its samples lie on the outer surface (outer_surface.py): the "
                "winding number where it is sure, visibility (rays) where it reads 1/4 to 3/4",
    }
    with open(os.path.join(build, "build_report.json"), "w") as f:
        json.dump(report, f, indent=1)
    with open(os.path.join(build, "meta.json"), "w") as f:  # last: marks a complete cache
        json.dump({"key": key, "model_ids": [models[m][0] for m in kept]}, f)
    if skipped:
        print(f"cached {len(kept)} of {len(models)} models; {len(skipped)} skipped (named above and in "
              f"build_report.json)", file=sys.stderr)


def _keep_rows(path, rows):
    """Rewrite the .npy array at `path` with only its `rows`, a slice at a time (it may not fit in memory).
    An array that has only as many rows already was rewritten by an assembly that was interrupted after it."""
    src = np.load(path, mmap_mode="r")
    if len(src) == len(rows):
        return
    dst = np.lib.format.open_memmap(path + ".new", "w+", src.dtype, (len(rows),) + src.shape[1:])
    for start in range(0, len(rows), 1024):
        dst[start:start + 1024] = src[rows[start:start + 1024]]
    dst.flush()
    del src, dst
    os.replace(path + ".new", path)


def _cache_key(cache):
    path = os.path.join(cache, "meta.json")
    return json.load(open(path)).get("key") if os.path.isfile(path) else None


def gather_feats(dataset_dir, synset, cache, model_ids, item_model, item_view):
    """(I, C) float32 memory map of every item's encoder feature, from each model's rendering/feats.npy, gathered
    once into the cache folder (named for the feature files' sizes and times, so new features are gathered anew)."""
    files = [model_paths(dataset_dir, m, synset)["feats"] for m in model_ids]
    missing = [f for f in files if not os.path.isfile(f)]
    if missing:
        raise InputError(f"--load_feat needs rendering/feats.npy for every model of {dataset_dir} "
                         f"({len(missing)} missing, e.g. {missing[0]}); write them with `python extract_feats.py` first")
    path = os.path.join(cache, f"feats-{hashlib.sha1(_file_stamps(files, dataset_dir)).hexdigest()[:16]}.npy")
    if not os.path.isfile(path):
        dim = np.load(files[0], mmap_mode="r").shape[1]

        def write(tmp):
            out = np.lib.format.open_memmap(tmp, "w+", np.float32, (len(item_model), dim))
            for m, f in enumerate(files):
                rows = np.flatnonzero(item_model == m)
                out[rows] = np.load(f)[item_view[rows]]
            out.flush()

        for old in os.listdir(cache):  # features written before (330 MB each for the real train split)
            if old.startswith("feats-") and old.endswith(".npy"):
                os.remove(os.path.join(cache, old))
        atomic_write(path, write)
    return np.load(path, mmap_mode="r")


def split_cache(dataset_dir, split, synset, models, n_points):
    """The cache folder of one class's split and its fingerprint, built first (or resumed, or waited for) when it is
    missing or stale. models: the split's [(model_id, views)] as r2n2_layout.read_split gives them."""
    cache = _cache_dir(dataset_dir, split, synset)
    key = _fingerprint(dataset_dir, synset, models, n_points)
    chairs_only = os.path.join(cache_root(dataset_dir), split)  # where the chairs' cache was before the classes
    if _cache_key(cache) != key and synset == SYNSET and _cache_key(chairs_only) == key:
        os.makedirs(os.path.dirname(cache), exist_ok=True)
        os.replace(chairs_only, cache)  # the same files: moved, not rebuilt
    if _cache_key(cache) != key:
        _build_cache(dataset_dir, synset, models, n_points, cache, key)
    return cache, key
