"""How long does the first cache of the real R2N2 data take? Times the cache build of a ShapeNet-like split stage by
stage, at 1 and at N processes, per class, and projects the real models from the measured cost and scaling.

    python bench_cache.py                                  # 100 chairs at ~30k faces x 24 views; 1 and all cores
    python bench_cache.py --models 60 --faces 80000 --workers 1 2
    python bench_cache.py --real_models 6778 --project 2 8 16 32
    python bench_cache.py --classes all --models 10 --workers 1 2 --class_faces car=100000,airplane=60000

The models are the embedded ones written as ShapeNet writes its meshes (make_synthetic_dataset.py --shapenet_like:
10k-100k faces, duplicated and flipped parts, double-sided faces, quads, holes), so every stage does the work a
real model needs: parse the OBJ, align the voxels, repair the mesh and keep the points on its outer surface, check
voxels against mesh, read the PNGs, write the rows. With several classes each class is timed on its own proxies and
projected to its R2N2 count (synthetic.dataset.REAL_SIZES: 43,784 models in all); the face counts are the
proxies' (--faces, --class_faces), an assumption about the real meshes, printed with the result. A projection to more cores than this machine has assumes
the pool keeps the efficiency measured here at the most processes (file reading and memory bandwidth may not
scale that far on a given machine): it is an estimate, printed as such.
"""
import argparse
import json
import os
import shutil
import sys
import tempfile
import time

import numpy as np
import torch

import cli
from r2n2_cache import STAGES
from r2n2_custom import R2N2
from r2n2_layout import NAMES, parse_classes, read_split
from synthetic.dataset import REAL_SIZES, build_dataset


def build_split(data, workers, synset):
    """Cache one class's train split of `data` anew with `workers` processes: (wall seconds, build_report.json)."""
    cache_root = os.path.join(os.path.dirname(data), f"cache_{workers}")
    shutil.rmtree(os.path.join(cache_root, synset), ignore_errors=True)
    os.environ["R2N2_CACHE_DIR"], os.environ["R2N2_CACHE_WORKERS"] = cache_root, str(workers)
    start = time.perf_counter()
    dataset = R2N2("train", data, classes=synset)
    wall = time.perf_counter() - start
    with open(os.path.join(dataset.cache_dir, "build_report.json")) as f:
        return wall, json.load(f)


def class_faces(text, synsets, default):
    """{class name: target faces}: `default` for every class, then the NAME=FACES pairs of --class_faces."""
    faces = {NAMES[s]: default for s in synsets}
    for pair in filter(None, text.split(",")):
        name, _, count = pair.partition("=")
        if name not in faces or not count.isdigit():
            raise cli.InputError(f"--class_faces: '{pair}' is not NAME=FACES for a class of --classes "
                                 f"({', '.join(faces)})")
        faces[name] = int(count)
    return faces


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=cli.Defaults, usage=cli.USAGE)
    p.add_argument("--classes", default="chair", help="R2N2 classes to time: all, or a comma list of names")
    p.add_argument("--models", type=int, default=100, help="models per class in the ShapeNet-like dataset (80 %% of them train)")
    p.add_argument("--faces", type=int, default=30000, help="target faces per mesh (subdivision gives 0.5x-2x of it)")
    p.add_argument("--class_faces", default="", help="other targets for some classes, e.g. car=100000,airplane=60000")
    p.add_argument("--views", type=int, default=24, help="renderings per model (R2N2 has 24)")
    p.add_argument("--workers", type=int, nargs="+", default=None,
                   help="process counts to time the build with (default: 1 and every core)")
    p.add_argument("--real_models", type=int, default=None,
                   help="models to project to, one class only (default: the class's models in R2N2, 6,778 chairs); "
                        "with several classes each class's R2N2 count (43,784 in all)")
    p.add_argument("--project", type=int, nargs="+", default=[2, 8, 16], help="core counts to project to")
    p.add_argument("--out", default=None, help="working folder (default: a temporary one, removed at the end)")
    args = p.parse_args()
    cores = len(os.sched_getaffinity(0))
    workers = sorted(set(args.workers or [1, cores]))
    synsets = parse_classes(args.classes)
    cli.check_at_least(args, "models", minimum=3)
    cli.check_at_least(args, "faces", minimum=1000)
    cli.check_at_least(args, "views")
    if min(workers) < 1 or min(args.project) < 1:
        raise cli.InputError("--workers and --project take counts of processes and cores: pass 1 or more")
    faces = class_faces(args.class_faces, synsets, args.faces)
    real = {s: REAL_SIZES[NAMES[s]] for s in synsets}
    if args.real_models is not None:
        if len(synsets) > 1:
            raise cli.InputError("--real_models applies to one class; several classes project to their R2N2 counts")
        real = {synsets[0]: args.real_models}

    # One process is one core, as each process of the build's pool is (set before libigl's first call).
    os.environ["IGL_NUM_THREADS"] = "1"
    torch.set_num_threads(1)
    out = args.out or tempfile.mkdtemp(prefix="bench_cache_")
    data = os.path.join(out, "data")
    try:
        if not os.path.isdir(data):
            print(f"writing {args.models} ShapeNet-like models per class ({', '.join(f'{k} ~{v}' for k, v in faces.items())} "
                  f"faces, {args.views} views) to {data}")
            build_dataset(data, args.models * len(synsets), args.views, seed=0, workers=cores, shapenet_like=True,
                          faces=faces, classes=args.classes)
        with open(os.path.join(data, "mess.json")) as f:
            mess = json.load(f)
        seconds = {}  # synset -> {workers: wall seconds per model}
        for synset in synsets:
            train = [m for m, _ in read_split(data, "train", synset)]
            tris = np.array([mess[m]["faces"] for m in train])  # (n,) triangles per mesh
            n = len(train)
            print(f"\n{NAMES[synset]}: train split {n} models, {tris.mean():.0f} faces on average ({tris.min()}-{tris.max()}), "
                  f"{args.views} views; {cores} cores here")
            runs = {w: build_split(data, w, synset) for w in workers}
            one = runs[min(workers)]
            print(f"seconds per model and stage, one process of {min(workers)} (build_report.json):")
            for stage in STAGES:
                print(f"  {stage:8s} {one[1]['seconds_per_model'][stage]:7.3f}")
            print(f"  {'total':8s} {sum(one[1]['seconds_per_model'].values()):7.3f}   (+ the pool, the records and the final arrays: wall below)")
            by_rays = sum(t != "the winding number" for t in one[1]["surface_test"].values())
            print(f"  points rejected (buried): {one[1]['points_rejected_mean']:.1%} on average; meshes with samples decided "
                  f"by visibility: {by_rays} ({one[1]['visibility_mean']:.2%} of the samples); skipped: {len(one[1]['skipped'])}")
            seconds[synset] = {w: wall / n for w, (wall, _) in runs.items()}
            base = seconds[synset][min(workers)] * min(workers)  # seconds of one process per model
            for w, per_model in seconds[synset].items():
                print(f"  {w:3d} process{'es' if w > 1 else '  '}  {per_model:6.3f} s/model  ({per_model * n:.1f} s for {n}; "
                      f"{base / per_model / w:.0%} of linear scaling)")
        w_max, w_min = max(workers), min(workers)
        base = {s: seconds[s][w_min] * w_min for s in synsets}  # one process's seconds per model, per class
        efficiency = sum(base[s] * real[s] for s in synsets) / sum(seconds[s][w_max] * w_max * real[s] for s in synsets)
        what = NAMES[synsets[0]] if len(synsets) == 1 else f"{len(synsets)}-class"
        print(f"\nthe {sum(real.values())}-model {what} set (every split), each class at its measured cost per model:")
        for c in args.project:
            measured = c in workers
            total = sum(real[s] * (seconds[s][c] if measured else base[s] / (c * efficiency)) for s in synsets)
            how = "measured rates" if measured else f"projected: {efficiency:.0%} scaling as at {w_max} here"
            print(f"  {c:3d} cores  {total / 60:6.1f} min   ({how})")
    finally:
        if not args.out:
            shutil.rmtree(out, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(cli.run(main))
