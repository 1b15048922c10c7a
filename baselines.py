"""Baselines that reconstruct nothing: each predicts a whole training chair, scored exactly like a model.

    python baselines.py --output_dir ./test_outputs                    # constant and oracle on the test split
    python baselines.py --output_dir ./test_outputs --split val --id baselines_val
    python baselines.py --output_dir ./test_outputs --checkpoint_path <ckpt_path>   # also retrieval

Why: an F1 means little alone. A model has learnt something from the image only where it beats a
prediction that ignores the image (constant), and a retrieval baseline shows how much of its score
copying the closest-looking training chair would give; the oracle is the ceiling of any method that
outputs a training chair. Writes into {output_dir}/{id}/ (id "baselines" by default):
  metrics_constant.json   one fixed training chair for every test image: the training chair with the best
                          mean F1@0.05 against the other training chairs (chosen on training data only).
                          The choice scores --subsample of each chair's cached 10k surface points against
                          the other chairs' full 10k (KD-tree, strict `< t` as metrics.f1_scores), for
                          speed; every training chair is a candidate and is compared with all the others.
  metrics_oracle.json     ORACLE: per test chair, the training chair with the best F1@0.05 against that
                          test chair's ground truth. It looks at the test answer, so it is not a method but
                          the ceiling of retrieval. Search: every training chair is scored cheaply as above
                          (--subsample points each way), the best --shortlist are rescored with the full
                          evaluation path, together with the constant chair and (with --checkpoint_path) the
                          retrieved chair, so the oracle is >= both on every example by construction. A
                          chair outside the shortlist can be missed: the oracle is a lower bound of the
                          exhaustive one (--shortlist with the number of training chairs makes it exhaustive).
  metrics_retrieval.json  with --checkpoint_path (any trained model with an image encoder, not --load_feat):
                          the training chair whose image feature (model.encoder, every view of every training
                          chair, so a test view can meet a training view from a similar angle) is nearest to
                          the test image's feature by cosine similarity: ResNet features after ReLU and
                          pooling differ in overall scale with the object's size and contrast, which says
                          little about the shape, so their direction is compared, not their length.
Every prediction is a training chair's mesh, and is scored as eval_model.py scores a mesh prediction
(representations.prediction_points: 10k points sampled on the mesh, seeded by the test example's index, not
the training chair's cached sample; metrics.f1_scores against the test chair's 10k ground-truth points).
The split is read as eval_model.py reads it (evaluation.evaluated_split: one view per chair), so the rows of
the per-example lists line up with the models' metrics files; per_example_model_id is the training chair
each row predicted. With several --classes, the constant is one per class (the class's best training model: it
knows the class and nothing else), the oracle's shortlist searches the test model's own class (retrieval and the
constant stay among its candidates, so a retrieved model of another class still bounds it), and retrieval searches
every class, so it may return another class's shape, as a model may. Every file then has per-class rows. Cost for 400 training chairs on 2 busy CPU cores: the constant's choice ~3 min (each
of the 400 x 400 pairs at 1000 points), the oracle's shortlist ~1 min and rescoring ~30 s for 75 chairs.
"""
import argparse
import os
import sys
import time

import numpy as np
import torch
from pytorch3d.structures import Meshes
from scipy.spatial import cKDTree
from tqdm import tqdm

import cli
from checkpoint import load_model
from evaluation import evaluate, evaluated_split, volume_scores
from metrics import N_EVAL_POINTS, THRESHOLDS, f1_scores
from model import model_input
from occupancy import training_labels
from r2n2_custom import R2N2
from r2n2_layout import NAMES, classes_label, plural
from representations import prediction_points
from results import print_summary, write_metrics
from runtime import pick_device

AT = THRESHOLDS.index(0.05)  # the threshold every choice is made at


def get_args_parser():
    p = argparse.ArgumentParser(description="Constant, oracle and retrieval baselines, scored like the models")
    p.add_argument("--output_dir", required=True, help="root folder of results")
    p.add_argument("--id", default="baselines", help="run name: results go to {output_dir}/{id}/")
    p.add_argument("--split", default="test", help="split to evaluate: test or val (candidates: train chairs)")
    p.add_argument("--checkpoint_path", default=None, help="a trained model whose image encoder drives retrieval")
    p.add_argument("--subsample", type=int, default=1000,
                   help="points per chair in the cheap passes (constant choice, oracle shortlist), at most 10000")
    p.add_argument("--shortlist", type=int, default=5, help="oracle: training chairs per test chair rescored in full")
    p.add_argument("--batch_size", type=int, default=16, help="images per forward pass / examples per evaluation batch")
    p.add_argument("--num_workers", type=int, default=2, help="data loader worker processes")
    p.add_argument("--vis_freq", type=int, default=0, help="write a picture every this many examples (0: none)")
    cli.add_device_and_dataset_args(p)
    return p


def near_fractions(queries, refs, desc):
    """near[q, r, t]: percent of queries[q]'s points strictly closer than THRESHOLDS[t] to refs[r]'s points.

    queries: (Q, S, 3), refs: (R, M, 3). One KD-tree per reference set, searched only up to the largest
    threshold. With queries = the predicted points and refs = the ground truth this is f1_scores'
    precision; swapped, its recall.
    """
    q = np.asarray(queries, np.float64)  # (Q, S, 3)
    flat = q.reshape(-1, 3)  # (Q * S, 3)
    t = np.asarray(THRESHOLDS)  # (T,)
    near = np.zeros((len(q), len(refs), len(t)))  # (Q, R, T)
    for r in tqdm(range(len(refs)), desc=desc, dynamic_ncols=True):
        d = cKDTree(np.asarray(refs[r], np.float64)).query(flat, k=1, distance_upper_bound=t.max(), workers=-1)[0]
        near[:, r] = (d.reshape(q.shape[:2])[..., None] < t).mean(1) * 100.0  # (Q, T)
    return near


def pair_f1(precision, recall):
    """F1 (percent) from precision and recall arrays of the same shape, 0 where both are 0 (as f1_scores)."""
    return 2 * precision * recall / np.maximum(precision + recall, 1e-8)


def constant_choice(train_points, subsample):
    """(the training chair with the best mean F1@0.05 against all other training chairs, every chair's mean).

    train_points: (A, M, 3) cached ground-truth points; the first `subsample` of a chair's points (an iid
    sample of its surface) are matched against the other chair's full M.
    """
    near = near_fractions(train_points[:, :subsample], train_points, "constant: chair vs chair")  # (A, A, T)
    f1 = pair_f1(near, near.transpose(1, 0, 2))[..., AT]  # (A, A): row = predicted chair, column = ground truth
    np.fill_diagonal(f1, 0.0)
    mean = f1.sum(1) / (len(f1) - 1)  # (A,)
    return int(np.argmax(mean)), mean


def oracle_shortlist(train_points, test_points, subsample, k):
    """(G, k) indices of the training chairs with the best estimated F1@0.05 for each test chair, best first."""
    precision = near_fractions(train_points[:, :subsample], test_points, "oracle shortlist: train vs test")  # (A, G, T)
    recall = near_fractions(test_points[:, :subsample], train_points, "oracle shortlist: test vs train")  # (G, A, T)
    f1 = pair_f1(precision.transpose(1, 0, 2), recall)[..., AT]  # (G, A)
    return np.argsort(-f1, axis=1, kind="stable")[:, :k]


def chair_points(train, chair, example_index, device):
    """Training chair `chair` as the prediction for test example `example_index`, sampled as a mesh model's
    prediction is: points (1, N_EVAL_POINTS, 3), lengths (1,), normals (1, N_EVAL_POINTS, 3), and its
    ("mesh", (verts, faces)) picture shape."""
    verts, faces = (x.to(device) for x in train.mesh(chair))
    points, lengths, normals = prediction_points(Meshes([verts], [faces]), "mesh", example_index)
    return points, lengths, normals, ("mesh", (verts, faces))


def chair_volume(train, chairs, batch, first_index, device, gt_cache):
    """Volumetric IoUs (evaluation.volume_scores) of training chairs `chairs` (one per example of `batch`) as
    the predictions: their ground-truth voxels on the grid, their ground-truth occupancy at the points."""
    meshes = [train.mesh(c) for c in chairs]
    chosen = {"model_id": [train.model_ids[c] for c in chairs], "verts": [v for v, _ in meshes],
              "faces": [f for _, f in meshes], "voxels": torch.stack([train.voxel_grid(c) for c in chairs])}
    return volume_scores(lambda pts: training_labels(chosen, pts, "auto", device)[0] > 0.5,
                         chosen["voxels"].to(device) > 0.5, batch, first_index, device, gt_cache)


def fixed_predict(train, choice, device, gt_cache):
    """evaluate's predict for a baseline whose chair per test example is known: choice (G,) training indices."""
    def predict(batch, first_index):
        chairs = [int(choice[first_index + i]) for i in range(len(batch["model_id"]))]
        pts = [chair_points(train, c, first_index + i, device) for i, c in enumerate(chairs)]
        points, lengths, normals, shapes = (list(x) for x in zip(*pts))
        return (torch.cat(points), torch.cat(lengths), torch.cat(normals), shapes,
                chair_volume(train, chairs, batch, first_index, device, gt_cache))
    return predict


def oracle_predict(train, candidates, device, chosen, gt_cache):
    """evaluate's predict for the oracle: each test example's candidates (list of training indices) are
    scored with the evaluation path itself (same points, same seed, same f1_scores), the best F1@0.05 wins
    (the first listed on a tie) and is appended to `chosen`."""
    def predict(batch, first_index):
        points, lengths, normals, shapes, first_chosen = [], [], [], [], len(chosen)
        for i in range(len(batch["model_id"])):
            cands = candidates[first_index + i]
            pts = [chair_points(train, c, first_index + i, device) for c in cands]
            p, n = torch.cat([p for p, _, _, _ in pts]), torch.cat([n for _, n, _, _ in pts])  # (K, N, 3), (K,)
            gt = batch["points"][i:i + 1].to(device).expand(len(cands), -1, -1)  # (K, M, 3)
            best = int(torch.argmax(f1_scores(p, n, gt)["f1"][:, AT]))
            chosen.append(cands[best])
            points.append(p[best:best + 1])
            lengths.append(n[best:best + 1])
            normals.append(pts[best][2])
            shapes.append(pts[best][3])
        return (torch.cat(points), torch.cat(lengths), torch.cat(normals), shapes,
                chair_volume(train, chosen[first_chosen:], batch, first_index, device, gt_cache))
    return predict


def encode_all(encode, loader, device, desc):
    """(I, C) features encode(images (B, 137, 137, 3)) -> (B, C) of every item of a loader, in order."""
    feats = []
    with torch.no_grad():
        for batch in tqdm(loader, desc=desc, dynamic_ncols=True):
            feats.append(encode(model_input(batch, False, device)).float().cpu())  # (B, C)
    return torch.cat(feats)


def nearest_by_cosine(query, keys):
    """(Q,) index of the key with the highest cosine similarity to each query: query (Q, C), keys (K, C)."""
    q = torch.nn.functional.normalize(query.flatten(1).double(), dim=1)
    k = torch.nn.functional.normalize(keys.flatten(1).double(), dim=1)
    return (q @ k.T).argmax(1)  # (Q,)


def encode_views(encode, dataset, batch_size, device, desc):
    """(I, C) features of every item's image of an R2N2 dataset, in order, read straight from its cached image
    array: a loader would also collate and ship each item's 10k points, normals and mesh for nothing (a fifth of
    the time of 9,600 training views). The same tensors and batches as through the loader: the same features."""
    feats = []
    with torch.no_grad():
        for start in tqdm(range(0, len(dataset), batch_size), desc=desc, dynamic_ncols=True):
            rows = dataset.items[start:start + batch_size]
            images = torch.from_numpy(np.array(dataset.images[rows])).float() / 255.0  # (B, 137, 137, 3), as R2N2 items
            feats.append(encode(images.to(device)).float().cpu())  # (B, C)
    return torch.cat(feats)


def retrieval_choice(encode, train, test_loader, args, device):
    """(G,) training chair whose training view is nearest (cosine) to each test image, by `encode` features."""
    train_feats = encode_views(encode, train, args.batch_size, device, "retrieval: training views")  # (I, C), I = all views
    test_feats = encode_all(encode, test_loader, device, "retrieval: test images")  # (G, C)
    nearest_item = nearest_by_cosine(test_feats, train_feats).numpy()  # (G,)
    return train.item_model[train.items[nearest_item]]


def run_baseline(name, predict, loader, train, chosen, out_dir, vis_dir, args, dataset, device, extra):
    """Evaluate one baseline like a model, write metrics_{name}.json and print the evaluators' summary."""
    t0 = time.time()
    results, per_second = evaluate(predict, loader, device, vis_dir, args.vis_freq, title=f"{args.id} {name}")
    summary, path = write_metrics(results, out_dir, name, {
        "id": args.id, "type": "baseline", "baseline": name, "split": args.split, "dataset": dataset.dataset_dir,
        "views": "one", "checkpoint": None, "step": None,
        "per_example_model_id": [train.model_ids[int(c)] for c in chosen], "classes": classes_label(dataset.synsets),
        **extra,
    }, synsets=dataset.example_synsets())
    print_summary(summary, path, per_second, device)
    print(f"{name}: scored in {time.time() - t0:.0f} s")
    return summary


def main(args):
    if args.split not in ("test", "val"):
        raise cli.InputError(f"--split must be test or val (the baselines pick training chairs), not {args.split!r}")
    if not 1 <= args.subsample <= N_EVAL_POINTS or args.shortlist < 1:
        raise cli.InputError(f"--subsample must be in 1..{N_EVAL_POINTS} and --shortlist at least 1")
    device = pick_device(args.device)
    model = None
    if args.checkpoint_path:
        model, _, ckpt = load_model(args.checkpoint_path, device)
        if model.load_feat:
            raise cli.InputError(f"{args.checkpoint_path} was trained on precomputed features (--load_feat) and has "
                                 "no image encoder; retrieval needs a checkpoint trained on images")
    train = R2N2("train", args.dataset_dir, views="all", classes=args.classes)
    if len(train.model_ids) < 2:
        raise cli.InputError("the training split needs at least 2 chairs for the constant baseline")
    args.all_views = False  # one view per chair, as eval_model.py reads the split
    dataset, loader, out_dir, vis_dir = evaluated_split(args, False)
    train_points = np.asarray(train.points)  # (A, M, 3)
    test_points = np.asarray(dataset.points)  # (G, M, 3); example g is chair g (one view per chair)
    n = len(dataset)
    gt_cache = {}  # the test chairs' occupancy labels for the IoU, computed once for the three baselines

    t0 = time.time()
    constants, test_class = {}, dataset.model_synset  # (G,) each test example's class (one view per model)
    for c, synset in enumerate(train.synsets):  # one constant per class: the class is the one thing it knows
        rows = np.flatnonzero(train.model_synset == c)  # (A_c,)
        if len(rows) < 2:
            raise cli.InputError(f"the training split needs at least 2 {plural(synset)} for the constant baseline")
        k, mean_f1 = constant_choice(train_points[rows], args.subsample)
        constants[c] = (int(rows[k]), float(mean_f1[k]))
        print(f"constant{'' if len(train.synsets) == 1 else ' ' + NAMES[synset]}: {train.model_ids[rows[k]]} (mean "
              f"F1@0.05 {mean_f1[k]:.2f} to the other {len(rows) - 1} training {plural(synset)}, {args.subsample} "
              f"points each; chosen in {time.time() - t0:.0f} s)")
    choice = np.array([constants[c][0] for c in test_class])
    if len(train.synsets) == 1:
        chosen_info = {"model_id": train.model_ids[constants[0][0]], "mean_f1@0.05_to_train": constants[0][1]}
    else:
        chosen_info = {"model_id_per_class": {NAMES[s]: train.model_ids[constants[c][0]] for c, s in enumerate(train.synsets)},
                       "mean_f1@0.05_to_train_per_class": {NAMES[s]: constants[c][1] for c, s in enumerate(train.synsets)}}
    run_baseline("constant", fixed_predict(train, choice, device, gt_cache), loader, train, choice, out_dir, vis_dir, args,
                 dataset, device, {**chosen_info, "subsample": args.subsample})

    retrieved = None
    if model is not None:
        t0 = time.time()
        retrieved = retrieval_choice(model.encoder, train, loader, args, device)
        print(f"retrieval: features in {time.time() - t0:.0f} s")
        run_baseline("retrieval", fixed_predict(train, retrieved, device, gt_cache), loader, train, retrieved, out_dir, vis_dir,
                     args, dataset, device, {"checkpoint": os.path.abspath(args.checkpoint_path), "step": ckpt["step"],
                                             "feature": "model.encoder, cosine, every view of every training chair"})

    t0 = time.time()
    shortlist = [None] * n
    for c in range(len(train.synsets)):  # each test model's shortlist from its own class
        rows, tests = np.flatnonzero(train.model_synset == c), np.flatnonzero(test_class == c)  # (A_c,), (G_c,)
        best = oracle_shortlist(train_points[rows], test_points[tests], args.subsample, min(args.shortlist, len(rows)))
        for g, picks in zip(tests, best):
            shortlist[g] = rows[picks]
    candidates = []
    for g in range(n):
        extra = [int(choice[g])] + ([int(retrieved[g])] if retrieved is not None else [])
        candidates.append(list(dict.fromkeys([int(c) for c in shortlist[g]] + extra)))  # ordered, no repeats
    print(f"oracle: shortlist in {time.time() - t0:.0f} s; it looks at the {args.split} ground truth "
          "(a ceiling, not a method)")
    chosen = []
    run_baseline("oracle", oracle_predict(train, candidates, device, chosen, gt_cache), loader, train, chosen, out_dir, vis_dir,
                 args, dataset, device, {"oracle": True, "subsample": args.subsample, "shortlist": args.shortlist,
                                         "candidates": "shortlist + constant" + (" + retrieval" if model else "")})


if __name__ == "__main__":
    sys.exit(cli.run(main, get_args_parser().parse_args()))
