"""The one evaluation metric of the repo: precision, recall and F1 between point sets at distance thresholds.

Every evaluator (fit_data, eval_model, eval_q3) goes through `f1_scores`, so all representations are
scored the same way: points on the prediction vs a fixed number of points on the ground-truth mesh,
in the same object frame, nothing re-centred or rescaled.
"""
import torch
from pytorch3d.ops import knn_points, sample_points_from_meshes
from pytorch3d.structures import Meshes

THRESHOLDS = (0.01, 0.02, 0.03, 0.04, 0.05)
N_EVAL_POINTS = 10000  # points sampled on a predicted surface (and cached on every ground-truth mesh)


def f1_scores(pred_points, pred_lengths, gt_points, thresholds=THRESHOLDS):
    """Precision, recall and F1 (in percent) at each distance threshold.

    precision = share of predicted points within `t` of some ground-truth point,
    recall = share of ground-truth points within `t` of some predicted point (Euclidean, not squared).

    Args:
        pred_points: (B, N, 3), padded where a prediction has fewer points.
        pred_lengths: (B,) number of valid points per prediction; 0 for an empty prediction, which
            scores 0 everywhere (it is not skipped).
        gt_points: (B, M, 3), the same M for every example.
    Returns:
        dict of "precision", "recall", "f1": (B, T) tensors.
    """
    b, m = gt_points.shape[0], gt_points.shape[1]
    gt_lengths = torch.full((b,), m, dtype=torch.long, device=gt_points.device)
    pred_lengths = pred_lengths.to(gt_points.device)
    empty = pred_lengths == 0
    safe = pred_lengths.clamp(min=1)  # knn needs one point; empty predictions are zeroed below
    d_pred = knn_points(pred_points, gt_points, lengths1=safe, lengths2=gt_lengths, K=1).dists[..., 0].sqrt()  # (B, N)
    d_gt = knn_points(gt_points, pred_points, lengths1=gt_lengths, lengths2=safe, K=1).dists[..., 0].sqrt()  # (B, M)
    valid = torch.arange(pred_points.shape[1], device=pred_points.device)[None] < safe[:, None]  # (B, N)
    t = torch.tensor(thresholds, device=gt_points.device)  # (T,)
    precision = ((d_pred[..., None] < t) & valid[..., None]).sum(1) / safe[:, None] * 100.0  # (B, T)
    recall = (d_gt[..., None] < t).float().mean(1) * 100.0  # (B, T)
    f1 = 2 * precision * recall / (precision + recall).clamp(min=1e-8)
    out = {"precision": precision, "recall": recall, "f1": f1}
    return {k: torch.where(empty[:, None], torch.zeros_like(v), v) for k, v in out.items()}


def sample_surfaces(verts_list, faces_list, n=N_EVAL_POINTS, seed=0):
    """Sample `n` points on each of a list of meshes, reproducibly (the global RNG is left untouched).

    Returns:
        points: (B, n, 3), zeros for empty meshes; lengths: (B,) n, or 0 for an empty mesh.
    """
    b = len(verts_list)
    device = verts_list[0].device if b else "cpu"
    points = torch.zeros(b, n, 3, device=device)
    lengths = torch.zeros(b, dtype=torch.long, device=device)
    keep = [i for i in range(b) if len(verts_list[i]) > 0 and len(faces_list[i]) > 0]
    if keep:
        meshes = Meshes([verts_list[i].float() for i in keep], [faces_list[i] for i in keep])
        devices = [torch.device(device)] if torch.device(device).type == "cuda" else []
        with torch.random.fork_rng(devices=devices):
            torch.manual_seed(seed)
            sampled = sample_points_from_meshes(meshes, n)  # (len(keep), n, 3)
        points[keep] = sampled
        lengths[keep] = n
    return points, lengths
