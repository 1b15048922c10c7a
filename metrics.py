"""The evaluation metrics of the repo: precision, recall and F1 between point sets at distance thresholds,
and the volumetric IoU of two occupancies.

Every evaluator (fit_data, eval_model, eval_q3) goes through `f1_scores` (or its two halves, `nearest_neighbours`
and `f1_at`), so all representations are scored the same way: points on the prediction vs a fixed number of points
on the ground-truth mesh, in the same object frame, nothing re-centred or rescaled. The published protocols
(protocols.py) read the same nearest-neighbour pass in their own frames. Representations with an inside (voxels,
occupancy fields) are also scored by `occupancy_iou`, the metric of 3D-R2N2 and Occupancy Networks.
"""
from typing import NamedTuple

import numpy as np
import torch
from pytorch3d.ops import knn_points, sample_points_from_meshes
from pytorch3d.structures import Meshes
from scipy.spatial import cKDTree

THRESHOLDS = (0.01, 0.02, 0.03, 0.04, 0.05)
N_EVAL_POINTS = 10000  # points sampled on a predicted surface (and cached on every ground-truth mesh)
N_IOU_POINTS = 20000  # uniform points in the cube for the point IoU (Occupancy Networks use 100k; the winding-number
# labels of 100k points cost ~1 s per 400-face chair on one CPU core, and the average over a split hardly moves)


def f1_scores(pred_points, pred_lengths, gt_points, thresholds=THRESHOLDS, use_kdtree=None):
    """Precision, recall and F1 (in percent) at each distance threshold.

    precision = share of predicted points within `t` (strictly closer) of some ground-truth point,
    recall = share of ground-truth points within `t` of some predicted point (Euclidean, not squared).

    The nearest-neighbour search runs where it is fast: on CUDA, PyTorch3D's brute-force `knn_points`;
    elsewhere (CPU), a scipy KD-tree, since brute force costs ~0.5 s per direction per 10k x 10k example
    on CPU. Both give the same scores (up to distances within float32 rounding of a threshold).

    Args:
        pred_points: (B, N, 3), padded where a prediction has fewer points.
        pred_lengths: (B,) number of valid points per prediction; 0 for an empty prediction, which
            scores 0 everywhere (it is not skipped).
        gt_points: (B, M, 3), the same M for every example.
        use_kdtree: None picks the search by device as above; True / False forces the KD-tree /
            `knn_points` (so the tests can compare both on CPU).
    Returns:
        dict of "precision", "recall", "f1": (B, T) float64 tensors on the input's device.
    """
    return f1_at(nearest_neighbours(pred_points, pred_lengths, gt_points, use_kdtree), thresholds)


class Nearest(NamedTuple):
    """Both directions of one nearest-neighbour pass between predictions and ground truth (nearest_neighbours)."""
    d_pred: torch.Tensor  # (B, N) float64 distance of each predicted point to the ground truth (padding: inf or junk)
    i_pred: torch.Tensor  # (B, N) long: index of that nearest ground-truth point
    d_gt: torch.Tensor  # (B, M) float64 distance of each ground-truth point to the prediction
    i_gt: torch.Tensor  # (B, M) long: index of that nearest predicted point
    valid: torch.Tensor  # (B, N) bool: the predicted points that are not padding
    counts: torch.Tensor  # (B,) long: valid predicted points, at least 1 (an empty prediction counts its 1 dummy)
    empty: torch.Tensor  # (B,) bool: the predictions with no point, which every score treats as worst


def nearest_neighbours(pred_points, pred_lengths, gt_points, use_kdtree=None):
    """The nearest-neighbour pass every surface score is computed from: the writeup's F1 (f1_at) and the
    published protocols' Chamfer, normal consistency and F1 (protocols.protocol_scores) share it, so the
    extra protocols cost no second search. Arguments as f1_scores'."""
    b, m = gt_points.shape[0], gt_points.shape[1]
    device = gt_points.device
    if use_kdtree is None:
        use_kdtree = device.type != "cuda"
    gt_lengths = torch.full((b,), m, dtype=torch.long, device=device)
    pred_lengths = pred_lengths.to(device)
    empty = pred_lengths == 0
    safe = pred_lengths.clamp(min=1)  # the search needs one point; empty predictions are scored as worst by callers
    d_pred, i_pred = _nearest_distances(pred_points, safe, gt_points, gt_lengths, use_kdtree)  # (B, N) each
    d_gt, i_gt = _nearest_distances(gt_points, gt_lengths, pred_points, safe, use_kdtree)  # (B, M) each
    valid = torch.arange(pred_points.shape[1], device=device)[None] < safe[:, None]  # (B, N)
    return Nearest(d_pred, i_pred, d_gt, i_gt, valid, safe, empty)


def f1_at(near, thresholds=THRESHOLDS, scale=None, squared=False):
    """Precision, recall and F1 (percent, (B, T) float64 each) from a nearest_neighbours pass.

    scale: None, or (B,) factors the distances are multiplied by first (a protocol's frame); squared: compare
    squared (scaled) distances with the thresholds (Pixel2Mesh's tau). An empty prediction scores 0.
    """
    d_pred, d_gt = near.d_pred, near.d_gt  # (B, N), (B, M)
    if scale is not None:
        d_pred, d_gt = d_pred * scale[:, None], d_gt * scale[:, None]
    if squared:
        d_pred, d_gt = d_pred.square(), d_gt.square()
    # Compared in float64: KD-tree distances are float64 and knn's float32 squared distances are widened
    # before the sqrt, so the two paths can only disagree on distances within float32 rounding of `t`.
    t = torch.tensor(thresholds, dtype=torch.float64, device=d_pred.device)  # (T,)
    precision = ((d_pred[..., None] < t) & near.valid[..., None]).sum(1).double() / near.counts[:, None] * 100.0  # (B, T)
    recall = (d_gt[..., None] < t).double().mean(1) * 100.0  # (B, T)
    f1 = 2 * precision * recall / (precision + recall).clamp(min=1e-8)
    out = {"precision": precision, "recall": recall, "f1": f1}
    return {k: torch.where(near.empty[:, None], torch.zeros_like(v), v) for k, v in out.items()}


def occupancy_iou(pred, gt):
    """Volumetric IoU in percent per example: |pred and gt| / |pred or gt| over the cells or points of each row.

    pred, gt: (B, ...) booleans (a voxel grid, or occupancy at sample points). Two empty occupancies
    agree perfectly (100); an empty prediction of a non-empty shape scores 0.
    """
    pred, gt = pred.flatten(1).bool(), gt.flatten(1).bool()  # (B, Q)
    inter = (pred & gt).sum(1).double()
    union = (pred | gt).sum(1).double()
    return torch.where(union > 0, inter / union.clamp(min=1) * 100.0, torch.full_like(union, 100.0))


def _nearest_distances(query, query_lengths, ref, ref_lengths, use_kdtree):
    """Euclidean distance from every query point to its nearest valid reference point, in float64.

    Args:
        query: (B, P, 3) with (B,) `query_lengths` valid points per row, the rest padding.
        ref: (B, R, 3) with (B,) `ref_lengths` valid points per row, at least 1.
        use_kdtree: a scipy cKDTree per example (O(P log R), CPU) instead of `knn_points` (O(P R)).
    Returns:
        (B, P) float64 distances and (B, P) long indices of the nearest reference points, on the query's
        device; entries past `query_lengths` are padding (inf and 0 on the KD-tree path), for the caller to mask.
    """
    if not use_kdtree:
        knn = knn_points(query, ref, lengths1=query_lengths, lengths2=ref_lengths, K=1)
        return knn.dists[..., 0].double().sqrt(), knn.idx[..., 0]  # (B, P) each
    q = query.detach().cpu().double().numpy()  # (B, P, 3)
    r = ref.detach().cpu().double().numpy()  # (B, R, 3)
    dist = np.full(q.shape[:2], np.inf)  # (B, P)
    idx = np.zeros(q.shape[:2], dtype=np.int64)  # (B, P)
    for i, (nq, nr) in enumerate(zip(query_lengths.tolist(), ref_lengths.tolist())):
        dist[i, :nq], idx[i, :nq] = cKDTree(r[i, :nr]).query(q[i, :nq], k=1, workers=-1)
    return torch.from_numpy(dist).to(query.device), torch.from_numpy(idx).to(query.device)


def sample_surfaces(verts_list, faces_list, n=N_EVAL_POINTS, seed=0, return_normals=False):
    """Sample `n` points on each of a list of meshes, reproducibly (the global RNG is left untouched).

    Returns:
        points: (B, n, 3), zeros for empty meshes; lengths: (B,) n, or 0 for an empty mesh;
        with return_normals, also normals (B, n, 3): the unit normal of the face each point lies on (the
        same points: PyTorch3D draws nothing more for them).
    """
    b = len(verts_list)
    device = verts_list[0].device if b else "cpu"
    points = torch.zeros(b, n, 3, device=device)
    lengths = torch.zeros(b, dtype=torch.long, device=device)
    normals = torch.zeros(b, n, 3, device=device)
    keep = [i for i in range(b) if len(verts_list[i]) > 0 and len(faces_list[i]) > 0]
    if keep:
        meshes = Meshes([verts_list[i].float() for i in keep], [faces_list[i] for i in keep])
        devices = [torch.device(device)] if torch.device(device).type == "cuda" else []
        with torch.random.fork_rng(devices=devices):
            torch.manual_seed(seed)
            sampled = sample_points_from_meshes(meshes, n, return_normals=return_normals)  # (len(keep), n, 3) [x 2]
        if return_normals:
            sampled, normals[keep] = sampled
        points[keep] = sampled
        lengths[keep] = n
    return (points, lengths, normals) if return_normals else (points, lengths)
