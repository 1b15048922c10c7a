"""How long does the first cache of the real R2N2 chairs take? Times the cache build of a ShapeNet-like split stage by
stage, at 1 and at N processes, and projects the real train split from the measured cost and scaling.

    python bench_cache.py                                  # 100 chairs at ~30k faces x 24 views; 1 and all cores
    python bench_cache.py --models 60 --faces 80000 --workers 1 2
    python bench_cache.py --real_models 6778 --project 2 8 16 32

The chairs are the embedded ones written as ShapeNet writes its meshes (make_synthetic_dataset.py --shapenet_like:
10k-100k faces, duplicated and flipped parts, double-sided faces, quads, holes), so every stage does the work a
real model needs: parse the OBJ, align the voxels, repair the mesh and keep the points on its outer surface, check
voxels against mesh, read the PNGs, write the rows. A projection to more cores than this machine has assumes
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
from synthetic.dataset import build_dataset


def build_split(data, workers):
    """Cache the train split of `data` anew with `workers` processes: (wall seconds, build_report.json)."""
    cache_root = os.path.join(os.path.dirname(data), f"cache_{workers}")
    shutil.rmtree(cache_root, ignore_errors=True)
    os.environ["R2N2_CACHE_DIR"], os.environ["R2N2_CACHE_WORKERS"] = cache_root, str(workers)
    start = time.perf_counter()
    dataset = R2N2("train", data)
    wall = time.perf_counter() - start
    with open(os.path.join(dataset.cache_dir, "build_report.json")) as f:
        return wall, json.load(f)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=cli.Defaults, usage=cli.USAGE)
    p.add_argument("--models", type=int, default=100, help="chairs in the ShapeNet-like dataset (80 %% of them train)")
    p.add_argument("--faces", type=int, default=30000, help="target faces per mesh (subdivision gives 0.5x-2x of it)")
    p.add_argument("--views", type=int, default=24, help="renderings per chair (R2N2 has 24)")
    p.add_argument("--workers", type=int, nargs="+", default=None,
                   help="process counts to time the build with (default: 1 and every core)")
    p.add_argument("--real_models", type=int, default=6778, help="models of the split to project to")
    p.add_argument("--project", type=int, nargs="+", default=[2, 8, 16], help="core counts to project to")
    p.add_argument("--out", default=None, help="working folder (default: a temporary one, removed at the end)")
    args = p.parse_args()
    cores = len(os.sched_getaffinity(0))
    workers = sorted(set(args.workers or [1, cores]))
    cli.check_at_least(args, "models", minimum=3)
    cli.check_at_least(args, "faces", minimum=1000)
    cli.check_at_least(args, "views")
    if min(workers) < 1 or min(args.project) < 1:
        raise cli.InputError("--workers and --project take counts of processes and cores: pass 1 or more")

    # One process is one core, as each process of the build's pool is (set before libigl's first call).
    os.environ["IGL_NUM_THREADS"] = "1"
    torch.set_num_threads(1)
    out = args.out or tempfile.mkdtemp(prefix="bench_cache_")
    data = os.path.join(out, "data")
    try:
        if not os.path.isdir(data):
            print(f"writing {args.models} ShapeNet-like chairs (~{args.faces} faces, {args.views} views) to {data}")
            build_dataset(data, args.models, args.views, seed=0, workers=cores, shapenet_like=True, faces=args.faces)
        with open(os.path.join(data, "split_03001627.json")) as f:
            train = list(json.load(f)["train"]["03001627"])
        with open(os.path.join(data, "mess.json")) as f:
            mess = json.load(f)
        faces = np.array([mess[m]["faces"] for m in train])  # (n,) triangles per mesh
        n = len(train)
        print(f"train split: {n} models, {faces.mean():.0f} faces on average ({faces.min()}-{faces.max()}), "
              f"{args.views} views; {cores} cores here")

        runs = {w: build_split(data, w) for w in workers}
        one = runs[min(workers)]
        print(f"\nseconds per model and stage, one process of {min(workers)} (build_report.json):")
        for stage in STAGES:
            print(f"  {stage:8s} {one[1]['seconds_per_model'][stage]:7.3f}")
        print(f"  {'total':8s} {sum(one[1]['seconds_per_model'].values()):7.3f}   (+ the pool, the records and the final arrays: wall below)")
        print(f"  points rejected (buried): {one[1]['points_rejected_mean']:.1%} on average; unfiltered meshes: "
              f"{len(one[1]['unfiltered_models'])}; skipped: {len(one[1]['skipped'])}")
        print("\nwall per model, all stages:")
        base = one[0] / n * min(workers)  # seconds of one process per model
        efficiency = {}
        for w, (wall, _) in runs.items():
            efficiency[w] = base / (wall / n) / w
            print(f"  {w:3d} process{'es' if w > 1 else '  '}  {wall / n:6.3f} s/model  ({wall:.1f} s for {n}; "
                  f"{efficiency[w]:.0%} of linear scaling)")
        w_max = max(workers)
        print(f"\nthe {args.real_models}-model split at {args.faces} target faces:")
        for c in args.project:
            measured = c in runs
            seconds = args.real_models * (runs[c][0] / n if measured else base / (c * efficiency[w_max]))
            how = "measured rate" if measured else f"projected: {efficiency[w_max]:.0%} scaling as at {w_max} here"
            print(f"  {c:3d} cores  {seconds / 60:6.1f} min   ({how})")
    finally:
        if not args.out:
            shutil.rmtree(out, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(cli.run(main))
