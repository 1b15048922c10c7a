"""Build the embedded dataset: procedurally generated objects of the R2N2 classes written in the real R2N2 layout.

    python make_synthetic_dataset.py --out data/r2n2_synth                      # the default: 500 chairs x 24 views
    python make_synthetic_dataset.py --out data/r2n2_synth_all --classes all    # 13 classes x 60 models (~6 min)
    python make_synthetic_dataset.py --out /tmp/r2n2_real --classes all --num_models 2000 --shares real
    python make_synthetic_dataset.py --out /tmp/tiny --num_models 10 --views 4 --seed 1
    python make_synthetic_dataset.py --out data/r2n2_synth --force              # rebuild an existing dataset
    python make_synthetic_dataset.py --out data/r2n2_messy --shapenet_like      # ShapeNet-like model.obj files
    python make_synthetic_dataset.py --out /tmp/messy --num_models 10 --views 4 --shapenet_like --faces 30000

The chairs come from synthetic/chairs.py, the other classes from synthetic/airplanes.py, benches.py, ..., the files (meshes, renderings, binvox, splits) from
synthetic/dataset.py, which describes the layout. --shapenet_like writes each model.obj as synthetic/shapenet_like.py
does (10k-100k faces, ShapeNet's mess, mess.json beside families.json); every other file is the same as
without it, so a loader or metric can be tried on messy meshes of the very same chairs.
"""
import argparse
import sys
import time

import cli
from synthetic.dataset import build_dataset, describe_dataset


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--out", default="data/r2n2_synth", help="dataset folder to create (default: the embedded dataset)")
    p.add_argument("--classes", default="chair",
                   help="all, or a comma list of R2N2 class names or synset ids (default: chair)")
    p.add_argument("--num_models", type=int, default=None,
                   help="models in all (default: 500 for the chairs alone, else 60 per class)")
    p.add_argument("--shares", choices=("equal", "real"), default="equal",
                   help="how the models are shared over the classes: equally, or as the real R2N2 split (default equal)")
    p.add_argument("--views", type=int, default=24, help="renderings per chair (default 24, as R2N2)")
    p.add_argument("--seed", type=int, default=0, help="the same seed gives the same dataset (default 0)")
    p.add_argument("--workers", type=int, default=2, help="parallel processes, one CPU thread each")
    p.add_argument("--force", action="store_true", help="replace an existing dataset in --out")
    p.add_argument("--shapenet_like", action="store_true",
                   help="write ShapeNet-like meshes (ShapeNet's face counts and mess on the same surface; default off)")
    p.add_argument("--faces", type=int, default=None,
                   help="faces per ShapeNet-like mesh, 1000 to 1000000, met within a factor 2 "
                        "(default: drawn per chair log-uniformly in [10000, 100000])")
    args = p.parse_args()
    t0 = time.time()
    out = build_dataset(args.out, args.num_models, args.views, args.seed, args.workers, force=args.force,
                        shapenet_like=args.shapenet_like, faces=args.faces, classes=args.classes, shares=args.shares)
    print(f"wrote {describe_dataset(out)} x {args.views} views to {out} in {time.time() - t0:.0f} s")


if __name__ == "__main__":
    sys.exit(cli.run(main))
