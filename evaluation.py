"""How every model is scored: its predictions through representations.prediction_points, the evaluation loop,
the volumetric IoU, the isovalue chosen on val (results.py writes and compares the metrics files), and the shapes
of a few scored chairs kept for the report page's 3D views (save_shapes; page/view3d.py draws them).

eval_model.py (voxels, points, meshes), eval_q3.py (implicit, parametric), baselines and gradcam.py
all score through these functions, so every number in a table is measured the same way: points on
the prediction against 10k fixed ground-truth points (metrics.f1_scores), in the object frame,
nothing re-centred; the published protocols (protocols.py) from the same samples and the same search.

The isovalue: a voxel or occupancy surface is cut by default where the val split scores best (candidates 0.05 ...
0.95 in steps of 0.05; the test split scored once; the cut printed and recorded in the metrics file). A model's
probabilities are calibrated to its loss, not to 0.5 (the class-balanced occupancy loss peaks near 0.8; RESULTS.md
"Why the isovalue is 0.75-0.8"), so the writeup's fixed cut compares calibrations rather than shapes. --isovalue 0.5
gives that cut in its own file (metrics_vox_iso0.5.json, metrics_occupancy_32_iso0.5.json); a dataset without val
chairs falls back to 0.5 and says so.

Volumetric IoU, the metric of 3D-R2N2 and Occupancy Networks, for voxels and occupancy (avg_iou_32, avg_iou_points
with their intervals): on the 32^3 grid against the ground-truth voxels, and on 20k uniform points in the cube
against the mesh's inside (generalised winding number; the voxels where a mesh is not closed). A voxel prediction
is read there as its trilinear interpolant cut at the isovalue, the same surface its F1 scores. A 32^3 output has a
ceiling on points (a leg thinner than 1/32 of the cube becomes a thicker rounded bar; measured in RESULTS.md, "The
ceiling of a 32^3 grid") that an occupancy network can beat.

The metric itself runs on a KD-tree on the CPU and knn_points on CUDA (the same numbers as the brute force).
"""
import math
import os
import time

import numpy as np
import torch
from torch.utils.data import DataLoader
from tqdm import tqdm

import cli
import visualize
from cli import InputError, check_at_least
from dataset_location import resolve_dataset_dir
from metrics import N_IOU_POINTS, THRESHOLDS, f1_at, f1_scores, nearest_neighbours, occupancy_iou
from model import QUERY_CHUNK
from occupancy import training_labels
from protocols import longest_edges, protocol_scores
from r2n2_custom import R2N2, collate_batched_R2N2
from r2n2_layout import NAMES, classes_label, parse_classes, split_names, split_size
from representations import REPRESENTATIONS, gt_shape, pred_shape, prediction_points
from runtime import atomic_write
from utils_vox import VOX_SIZE, voxels_to_meshes


def add_common_eval_args(p):
    """The flags eval_model.py and eval_q3.py share: what is evaluated, where, and how fast."""
    p.usage, p.formatter_class = cli.USAGE, cli.Defaults  # defaults in --help; a usage error in two short lines
    p.add_argument("--vis_freq", type=int, default=100, help="write a picture every this many test examples (0: none)")
    p.add_argument("--batch_size", type=int, default=16, help="test images per forward pass")
    p.add_argument("--num_workers", type=int, default=2, help="data loader worker processes (0: load in the main process)")
    p.add_argument("--all_views", action="store_true", help="evaluate every view of every test chair, not one")
    p.add_argument("--split", default="test", help="split to evaluate (a key of the dataset's split file)")
    cli.add_device_and_dataset_args(p)
    return p


def note_classes(train_args, args):
    """One line when the evaluated classes (--classes) are not those the checkpoint was trained on: a chair model
    scored on lamps is a question one may ask, but not by accident."""
    trained = parse_classes(getattr(train_args, "classes", "chair"))  # checkpoints from before --classes: chairs
    if trained != parse_classes(args.classes):
        print(f"note: {args.checkpoint_path} was trained on --classes {classes_label(trained)}; evaluating on "
              f"--classes {classes_label(parse_classes(args.classes))}")


def check_eval_args(args):
    """One-line errors for the common flags, before the checkpoint is loaded or any folder is created."""
    check_at_least(args, "batch_size")
    check_at_least(args, "num_workers", "vis_freq", minimum=0)
    if not os.path.isfile(args.checkpoint_path):
        raise InputError(f"--checkpoint_path {args.checkpoint_path} does not exist; pass the path printed at "
                         "the end of training")
    splits = split_names(resolve_dataset_dir(args.dataset_dir, classes=args.classes), parse_classes(args.classes))
    if args.split not in splits:
        raise InputError(f"--split {args.split} is not in the dataset's split file; choose one of {', '.join(splits)}")


def make_predict(model, kind, device, eval_res=32, n_points=None, chunk=QUERY_CHUNK, isovalue=0.5, with_iou=True):
    """The predict(batch, first_index) function `evaluate` calls, for any model of the repo.

    model: any network, through the interface model.ImageConditioned declares: SingleViewto3D (kind vox, point
    or mesh), OccupancyNetwork (kind vox: its logits on the eval_res^3 voxel centres, queried `chunk` points at a
    time) or ParametricNetwork (kind point: the regular UV grid of about n_points points; kind mesh: that grid
    triangulated), in eval mode.
    Voxel and occupancy logits are cut at `isovalue`. Returns (points (B, N, 3), lengths (B,), normals (B, N, 3)
    or None, shapes, volume) where shapes[i] is example i's prediction as a (kind, shape) pair for
    visualize.render_shape and volume is volume_scores' IoUs for the models with an inside (voxels, occupancy)
    if with_iou, else {}.
    """
    shift = iso_shift(isovalue)
    level = REPRESENTATIONS[kind].level  # logits cut at the isovalue

    def predict(batch, first_index):
        enc = model.encode_batch(batch, device)  # Encoding: the (B, C) feature [, maps and view]
        pred = model.prediction(enc, kind, eval_res, n_points, chunk)  # (B, R, R, R) logits, (B, N, 3) or Meshes
        volume = {}
        if level:
            pred = pred - shift  # 0 at the isovalue
            if with_iou:
                grid = pred if eval_res == VOX_SIZE else model.prediction(enc, kind, VOX_SIZE, n_points, chunk) - shift  # (B, 32, 32, 32)
                volume = volume_scores(lambda pts: model.occupied(enc, pred, pts, shift, chunk), grid > 0, batch,
                                       first_index, device)
        points, lengths, normals = prediction_points(pred, kind, first_index)
        return points, lengths, normals, [pred_shape(pred, i, kind) for i in range(len(lengths))], volume

    return predict


def iou_points(first_index, b, device):
    """(B, N_IOU_POINTS, 3) uniform points in the cube, seeded by each example's index in the split."""
    gen = [torch.Generator().manual_seed(first_index + i) for i in range(b)]
    return torch.stack([torch.rand(N_IOU_POINTS, 3, generator=g) - 0.5 for g in gen]).to(device)


def volume_scores(occupied_at, grid, batch, first_index, device, gt_cache=None):
    """Volumetric IoU (percent, (B,) each) of a prediction with an inside, the metric of 3D-R2N2 and ONet.

    iou_32: on the 32^3 voxel grid: grid (B, 32, 32, 32) booleans in the utils_vox frame against the
        ground-truth voxels (what 3D-R2N2 reports).
    iou_points: on N_IOU_POINTS uniform points in the cube (what Occupancy Networks reports):
        occupied_at((B, Q, 3) points) -> (B, Q) booleans against the ground-truth occupancy, the mesh's
        winding number where it is closed, else the voxels (occupancy.training_labels).
    gt_cache: a dict that keeps the ground-truth labels of a batch for the next caller scoring the same split
        (the baselines score it three times; a label costs about 0.35 s per chair).
    """
    pts = iou_points(first_index, len(grid), device)  # (B, Q, 3)
    key = (first_index, tuple(batch["model_id"]))
    gt = None if gt_cache is None else gt_cache.get(key)
    if gt is None:
        gt = training_labels(batch, pts, "auto", device)[0] > 0.5  # (B, Q)
        if gt_cache is not None:
            gt_cache[key] = gt
    with torch.no_grad():
        pred = occupied_at(pts)  # (B, Q)
    return {"iou_32": occupancy_iou(grid, batch["voxels"].to(device) > 0.5),
            "iou_points": occupancy_iou(pred, gt)}


def evaluate(predict, loader, device, vis_dir=None, vis_freq=0, title=""):
    """Per-example scores over a loader, shared by eval_model.py, eval_q3.py and baselines.py: the writeup's
    precision/recall/F1 and every published protocol's numbers (protocols.py), from one nearest-neighbour pass.

    predict(batch, first_index) -> (points (B, N, 3), lengths (B,), normals (B, N, 3) or None, shapes, volume)
    where shapes[i] is example i's prediction as a (kind, shape) pair for visualize.render_shape and volume a
    dict of (B,) volumetric scores (volume_scores), empty for representations without an inside.
    Returns a dict of tensors, one row per example: "precision", "recall", "f1" (N, T); the volume's (N,);
    "{protocol}/{metric}" (N,) or (N, T) (protocols.protocol_scores); "n_pred_points" (N,) the points each
    prediction was scored with (0: empty); and the examples per second.
    """
    results = {"precision": [], "recall": [], "f1": []}
    seen, t0 = 0, time.time()
    for batch in tqdm(loader, desc=f"eval {title}", dynamic_ncols=True):
        with torch.no_grad():
            points, lengths, normals, shapes, volume = predict(batch, seen)
            near = nearest_neighbours(points, lengths, batch["points"].to(device))
            scores = f1_at(near)
            gt_normals = batch["normals"].to(device) if "normals" in batch else None  # R2N2(return_normals=True)
            published = protocol_scores(near, longest_edges(batch["verts"]), normals, gt_normals)
        flat = {f"{name}/{key}": value for name, numbers in published.items() for key, value in numbers.items()}
        for key, value in {**scores, **volume, **flat, "n_pred_points": lengths}.items():
            results.setdefault(key, []).append(value.cpu())
        if vis_dir and vis_freq:
            for i in range(len(lengths)):
                if (seen + i) % vis_freq == 0:
                    visualize.save_prediction_panel(
                        os.path.join(vis_dir, f"{title.replace(' ', '_')}_{seen + i:04d}.png"), batch["images"][i],
                        shapes[i], gt_shape(batch, i, "mesh"),
                        batch["R"][i].to(device), batch["T"][i].to(device), batch["K"][i].to(device),
                        title=f"{title} #{seen + i}: {batch['model_id'][i]}, F1@0.05 = {scores['f1'][i, -1]:.1f}")
        seen += len(lengths)
    per_second = seen / (time.time() - t0)
    return {k: torch.cat(v) for k, v in results.items()}, per_second


SHAPE_ROLES = ("best", "median", "worst")  # by per-example F1@0.05; "shown": an example evaluate drew
MAX_SHOWN = 4  # at most this many of the examples evaluate drew pictures of


def chosen_examples(f1, vis_freq, classes=None):
    """[(index in the split, role)] of the examples whose shapes the report page shows: the best, median (the
    lower one) and worst by f1 ((N,) F1@0.05), then the first MAX_SHOWN evaluate drew (index % vis_freq == 0) not
    already chosen. An example that is two of best/median/worst (a split of 1 or 2) gets both, e.g. "best/median".
    With classes ((N,) each example's class name, more than one class): each class's median instead, its role
    "<class> median", then the best and worst of all."""
    f1 = np.asarray(f1)
    order = np.argsort(f1, kind="stable")  # (N,) worst first; ties keep split order
    if not len(order):
        return []
    roles = {}
    if classes is not None and len(set(classes)) > 1:
        classes = np.asarray(classes)
        for name in dict.fromkeys(classes.tolist()):  # in split order: the classes' order
            rows = order[classes[order] == name]  # (n_c,) this class's examples, worst first
            roles.setdefault(int(rows[(len(rows) - 1) // 2]), []).append(f"{name} median")
        for role, index in (("best", order[-1]), ("worst", order[0])):
            roles.setdefault(int(index), []).append(role)
        return [(i, "/".join(r)) for i, r in roles.items()]
    for role, index in zip(SHAPE_ROLES, (order[-1], order[(len(order) - 1) // 2], order[0])):
        roles.setdefault(int(index), []).append(role)
    shown = [i for i in range(0, len(order), vis_freq) if i not in roles][:MAX_SHOWN] if vis_freq else []
    return [(i, "/".join(r)) for i, r in roles.items()] + [(i, "shown") for i in shown]


def drawn_shape(shape):
    """A prediction's (kind, shape) pair (make_predict's shapes[i]) as what the page draws: ("point", (N, 3)) or
    ("mesh", verts (V, 3) float32, faces (F, 3) int32). Voxel or occupancy probabilities (D, D, D), already shifted
    so the isovalue is at 0.5, become their marching-cubes surface at 0.5, as the metrics sample it."""
    kind, value = shape
    if kind == "point":
        return "point", (value.detach().cpu().float().numpy(),)
    if kind == "vox":
        value = voxels_to_meshes(value.detach()[None])[0]  # [(verts (V, 3), faces (F, 3))]
    verts, faces = value
    return "mesh", (verts.detach().cpu().float().numpy(), faces.cpu().numpy().astype(np.int32))


def save_shapes(predict, dataset, results, path, vis_freq):
    """Write the prediction and ground-truth mesh of a few test examples to `path` (shapes_{name}.npz), for the
    report page's rotatable 3D views: best, median and worst by F1@0.05, and those evaluate drew (chosen_examples).

    Each is predicted again alone (predict(batch of 1, index): the same seed as evaluate's, a few forward passes),
    so evaluate keeps nothing. Arrays are stored whole (a real chair's mesh has ~100k faces); the page decimates.
    npz keys: index, model_id, f1, role, kind (K,) per example k (kind: "point" or "mesh", what is drawn), then
    pred{k}_points (N, 3) or pred{k}_verts (V, 3) and pred{k}_faces (F, 3), and gt{k}_verts, gt{k}_faces.
    Returns the chosen [(index, role)].
    """
    f1 = results["f1"][:, THRESHOLDS.index(0.05)].numpy()  # (N,)
    chosen = chosen_examples(f1, vis_freq, [NAMES[s] for s in dataset.example_synsets()])
    arrays = {"index": np.array([i for i, _ in chosen], dtype=np.int64), "role": np.array([r for _, r in chosen]),
              "f1": f1[[i for i, _ in chosen]].astype(np.float64)}
    model_ids, kinds = [], []
    for k, (i, _) in enumerate(chosen):
        item = dataset[i]
        with torch.no_grad():
            shapes = predict(collate_batched_R2N2([item]), i)[3]  # evaluate's seed: the index in the split
        kind, values = drawn_shape(shapes[0])
        for key, value in zip(("points",) if kind == "point" else ("verts", "faces"), values):
            arrays[f"pred{k}_{key}"] = value
        arrays[f"gt{k}_verts"] = item["verts"].float().numpy()  # (V, 3)
        arrays[f"gt{k}_faces"] = item["faces"].numpy().astype(np.int32)  # (F, 3)
        model_ids.append(item["model_id"])
        kinds.append(kind)
    arrays.update(model_id=np.array(model_ids), kind=np.array(kinds))
    atomic_write(path, lambda tmp: np.savez_compressed(tmp, **arrays))
    return chosen


# Steps of 0.05: an occupancy network's chair is thin everywhere (no query lies far inside it), so its
# probabilities peak near 0.8 and F1 moves by 10 between 0.75 and 0.8; steps of 0.1 missed its best cut.
ISO_CANDIDATES = tuple(round(0.05 * k, 2) for k in range(1, 20))  # 0.05 ... 0.95


def isovalue_arg(text):
    """--isovalue: a probability, or `auto` (chosen on the val split by choose_isovalue, as when not given)."""
    return text if text == "auto" else float(text)


ISOVALUE_HELP = ("occupancy probability at which marching cubes cuts the surface: a number (0 < t < 1; 0.5 is the "
                 "writeup's fixed cut), or auto: the one of 0.05, 0.1, ..., 0.95 with the best F1@0.05 on the val split "
                 "(not given: auto, or 0.5 when the dataset has no val split)")


def choose_isovalue(model, kind, device, args, load_feat, eval_res=32, chunk=QUERY_CHUNK):
    """The isovalue of ISO_CANDIDATES whose surface has the best avg F1@0.05 on the val split (one view per chair).

    Why: a model's probabilities are calibrated to its training loss, not to the 0.5 cut; an unweighted BCE
    leaves thin parts the image does not pin down below 0.5, a class-balanced one lifts the background
    above it. Choosing the cut on val keeps the test split scored once. The network runs once per batch and
    every candidate cuts the same logits (an occupancy grid at --eval_res 64 costs far more than its surfaces).
    Returns (isovalue, {candidate: F1}).
    """
    if "val" not in split_names(resolve_dataset_dir(args.dataset_dir, classes=args.classes), parse_classes(args.classes)):
        raise InputError("--isovalue auto chooses on the val split, and the dataset's split file has none; "
                         "pass a number (0.5 is the writeup's)")
    _, loader = split_loader(args, "val", load_feat)
    at = THRESHOLDS.index(0.05)
    sums, seen = dict.fromkeys(ISO_CANDIDATES, 0.0), 0
    for batch in tqdm(loader, desc="val isovalues", dynamic_ncols=True):
        with torch.no_grad():
            enc = model.encode_batch(batch, device)  # Encoding: the (B, C) feature [, maps and view]
            logits = model.grid_logits(enc, eval_res, chunk)  # (B, R, R, R)
            gt = batch["points"].to(device)  # (B, P, 3)
            for t in ISO_CANDIDATES:
                points, lengths, _ = prediction_points(logits - iso_shift(t), kind, seen)
                sums[t] += f1_scores(points, lengths, gt)["f1"][:, at].sum().item()
        seen += len(gt)
    scores = {t: total / seen for t, total in sums.items()}
    best = max(scores, key=scores.get)  # the first of equals
    print("isovalue chosen on val: " + ", ".join(f"{t:g}: {f:.1f}" for t, f in scores.items())
          + f" (avg F1@0.05) -> {best:g}")
    return best, scores


def resolve_isovalue(args, model, kind, device, load_feat, eval_res=32, chunk=QUERY_CHUNK):
    """The isovalue a surface is cut at, and what the metrics file records about it, printed in one line.

    --isovalue not given (None) or auto: chosen on the val split (choose_isovalue), since a model's probabilities
    are calibrated to its loss and not to 0.5; without a val split, not given falls back to the writeup's 0.5 and
    says so (auto is refused there). A number: that fixed cut (0.5 is the writeup's).
    Returns (isovalue, {"isovalue", "isovalue_chosen_on", "val_f1@0.05_per_isovalue"}).
    """
    choice = args.isovalue
    if choice is None:
        choice = "auto" if split_size(resolve_dataset_dir(args.dataset_dir, classes=args.classes), "val", parse_classes(args.classes)) else 0.5
        if choice == 0.5:
            print("the dataset has no val chairs to choose the isovalue on: the surface is cut at the writeup's 0.5")
    if choice == "auto":
        isovalue, scores = choose_isovalue(model, kind, device, args, load_feat, eval_res, chunk)
        print(f"surface cut at isovalue {isovalue:g}, chosen on val (--isovalue 0.5: the writeup's fixed cut)")
        return isovalue, {"isovalue": isovalue, "isovalue_chosen_on": "val", "val_f1@0.05_per_isovalue": scores}
    print(f"surface cut at isovalue {choice:g}, fixed" + (" (the writeup's)" if choice == 0.5 else "")
          + "; not given, it is chosen on the val split")
    return choice, {"isovalue": choice, "isovalue_chosen_on": None}


def iso_shift(isovalue):
    """The logit of --isovalue: logits minus it cross 0 (probability 0.5) where the probability is the isovalue,
    so marching cubes, the metrics and the pictures all cut the surface at that level."""
    if not 0 < isovalue < 1:
        raise InputError(f"--isovalue must be strictly between 0 and 1, not {isovalue}")
    return math.log(isovalue / (1 - isovalue))


def split_loader(args, split, load_feat):
    """A split in a fixed order (one view per model unless --all_views) and its loader."""
    dataset = R2N2(split, args.dataset_dir, views="all" if args.all_views else "one", return_feats=load_feat,
                   return_normals=True, classes=args.classes)
    return dataset, DataLoader(dataset, batch_size=args.batch_size, shuffle=False, num_workers=args.num_workers,
                               collate_fn=collate_batched_R2N2)


def evaluated_split(args, load_feat):
    """The evaluated split in a fixed order, and the output folders {output_dir}/{id}/ and its vis/ (created only
    once the split has loaded, so a dataset error leaves no folders)."""
    dataset, loader = split_loader(args, args.split, load_feat)
    out_dir = os.path.join(args.output_dir, args.id)
    vis_dir = os.path.join(out_dir, "vis")
    os.makedirs(vis_dir, exist_ok=True)
    return dataset, loader, out_dir, vis_dir
