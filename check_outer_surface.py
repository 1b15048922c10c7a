"""Is the cache's ground truth right on messy meshes? Writes ShapeNet-like proxies of each class's embedded models
and scores the outer-surface points of each messy copy against those of its clean original.

    python check_outer_surface.py                                   # 3 models of every class at ~30k faces
    python check_outer_surface.py --classes chair,sofa --models 10 --faces 60000 --flip 0.3

The proxy is synthetic.shapenet_like.scattered_mess: every part subdivided with its own vertices, a share --flip of
all faces flipped one by one, one part written again reversed (double-sided), the first sixth of the faces written
again (sections included). The clean original is the embedded model (closed convex parts), so the two point sets
sample one surface: two draws of it score 99-100 at 0.02. Per model it prints F1@0.02 (precision / recall), the
share of samples that visibility decided (the winding number was unsure of them) and the seconds the messy copy's
points took on one thread, as a cache worker has; per class the worst and the mean.
"""
import argparse
import os
import sys
import time

import numpy as np
import torch

import cli
from metrics import f1_scores
from outer_surface import outer_surface_points
from r2n2_layout import NAMES, parse_classes
from synthetic.dataset import generator
from synthetic.primitives import normalisation, parts_mesh
from synthetic.shapenet_like import scattered_mess


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=cli.Defaults, usage=cli.USAGE)
    p.add_argument("--classes", default="all", help="R2N2 classes: all, or a comma list of names")
    p.add_argument("--models", type=int, default=3, help="models per class (the embedded generator's first ones)")
    p.add_argument("--faces", type=int, default=30000, help="target faces per messy mesh (subdivision gives 0.5x-2x of it)")
    p.add_argument("--flip", type=float, default=0.2, help="share of the faces flipped one by one")
    p.add_argument("--points", type=int, default=10000, help="points per model, as the cache keeps")
    p.add_argument("--threshold", type=float, default=0.02, help="F1 distance threshold")
    args = p.parse_args()
    cli.check_at_least(args, "models", "points")
    cli.check_at_least(args, "faces", minimum=100)
    if not 0 <= args.flip <= 1:
        raise cli.InputError(f"--flip is a share of the faces, between 0 and 1, not {args.flip}")
    synsets = parse_classes(args.classes)
    os.environ["IGL_NUM_THREADS"] = "1"  # one thread, as each process of the cache's pool has (before libigl's first call)
    torch.set_num_threads(1)

    worst = []
    print(f"{'class':12s} {'model':>5s} {'faces':>7s} {f'F1@{args.threshold}':>8s} {'P / R':>12s} {'visibility':>10s} {'seconds':>8s}")
    for synset in synsets:
        name, rows = NAMES[synset], []
        for index in range(args.models):
            _, parts, colours, _ = generator(name)(0, index)
            centre, scale = normalisation(parts)
            clean_v, clean_f, _ = parts_mesh(parts, centre, scale, colours)
            verts, faces, mess = scattered_mess(parts, centre, scale, np.random.default_rng([index, 34]), args.faces, args.flip)
            report = {}
            start = time.perf_counter()
            ours = outer_surface_points(torch.from_numpy(verts), torch.from_numpy(faces), args.points, seed=1, report=report)
            seconds = time.perf_counter() - start
            reference = outer_surface_points(torch.tensor(clean_v, dtype=torch.float32), torch.tensor(clean_f),
                                             args.points, seed=2)
            score = f1_scores(ours[None], torch.tensor([args.points]), reference[None], thresholds=(args.threshold,))
            f1, precision, recall = (score[k][0, 0].item() for k in ("f1", "precision", "recall"))
            rows.append((f1, report["visibility"], seconds))
            print(f"{name:12s} {index:5d} {mess['faces']:7d} {f1:8.1f} {precision:5.1f} / {recall:5.1f} "
                  f"{report['visibility']:9.2%} {seconds:8.2f}", flush=True)
        f1s = [r[0] for r in rows]
        worst.append(min(f1s))
        print(f"{name:12s} worst F1 {min(f1s):.1f}, mean {np.mean(f1s):.1f}; visibility {np.mean([r[1] for r in rows]):.2%} "
              f"of the samples; {np.mean([r[2] for r in rows]):.2f} s per model\n", flush=True)
    print(f"every class: worst F1@{args.threshold} {min(worst):.1f}")


if __name__ == "__main__":
    sys.exit(cli.run(main))
