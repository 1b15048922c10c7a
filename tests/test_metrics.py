"""metrics.f1_scores against a float64 brute force, a hand-computed case, and KD-tree vs knn_points."""
import pytest
import torch

import metrics
import utils_vox
from metrics import THRESHOLDS, _nearest_distances, f1_scores


def pairwise_distances(pred, gt):
    """(n, M) Euclidean distances in float64, one predicted point at a time (no cdist, no KD-tree)."""
    return torch.stack([((p.double() - gt.double()) ** 2).sum(-1).sqrt() for p in pred])


def reference_scores(pred, n, gt, thresholds):
    """Precision, recall, F1 (percent) for one example by an explicit pairwise loop in float64."""
    if n == 0:
        return [[0.0] * len(thresholds)] * 3
    pair = pairwise_distances(pred[:n], gt)  # (n, M)
    d_pred, d_gt = pair.min(1).values, pair.min(0).values  # (n,), (M,)
    rows = [], [], []
    for t in thresholds:
        p = (d_pred < t).double().mean().item() * 100
        r = (d_gt < t).double().mean().item() * 100
        for row, v in zip(rows, (p, r, 2 * p * r / max(p + r, 1e-8))):
            row.append(v)
    return rows


def padded_batch(n_max, m, lengths, seed):
    """Clouds in a 0.1 cube, so nearest distances fall among the thresholds; padding copies gt points,
    so a search that read past a length would find spuriously close points."""
    g = torch.Generator().manual_seed(seed)
    b = len(lengths)
    pred = torch.rand(b, n_max, 3, generator=g) * 0.1  # (B, N, 3)
    gt = torch.rand(b, m, 3, generator=g) * 0.1  # (B, M, 3)
    for i, n in enumerate(lengths):
        pad = n_max - n
        pred[i, n:] = gt[i, torch.arange(pad) % m]
    return pred, torch.tensor(lengths), gt


@pytest.mark.parametrize("use_kdtree", [True, False])
@pytest.mark.parametrize("n_max,m", [(1, 1), (1, 300), (7, 50), (50, 7), (300, 300), (300, 1)])
def test_f1_matches_brute_force(n_max, m, use_kdtree):
    lengths = sorted({n_max, max(n_max // 2, 1), 1, 0}, reverse=True)  # full, partial, one point, empty
    pred, pred_lengths, gt = padded_batch(n_max, m, lengths, seed=n_max * 1000 + m)
    # Thresholds just below and above actual nearest distances, where an off-by-rounding or a `<=`
    # would flip a point; the relative margin 1e-5 is far above float32 rounding (~1e-7).
    d = pairwise_distances(pred[0, : lengths[0]], gt[0]).min(1).values.median().item()  # an actual nearest distance
    thresholds = sorted(set(THRESHOLDS) | {d * (1 - 1e-5), d * (1 + 1e-5), 0.1})
    got = f1_scores(pred, pred_lengths, gt, thresholds, use_kdtree=use_kdtree)
    for i, n in enumerate(lengths):
        want = reference_scores(pred[i], n, gt[i], thresholds)
        for key, row in zip(("precision", "recall", "f1"), want):
            torch.testing.assert_close(got[key][i].double(), torch.tensor(row, dtype=torch.float64),
                                       atol=1e-4, rtol=0, msg=f"{key} example {i} (length {n})")
    assert (got["f1"][lengths.index(0)] == 0).all()


def test_hand_computed_case():
    gt = torch.tensor([[[0.0, 0.0, 0.0], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]]).repeat(2, 1, 1)  # (2, 3, 3)
    # Nearest gt distances: 0.005 (gt 0), 0.025 (gt 1), 0.045 (gt 2), ~0.87 (far from everything).
    pred = torch.tensor([[[0.005, 0.0, 0.0], [1.0, 0.025, 0.0], [0.0, 1.045, 0.0], [0.5, 0.5, 0.5]]]).repeat(2, 1, 1)
    lengths = torch.tensor([4, 0])  # the second prediction is empty
    want_p = torch.tensor([25.0, 25.0, 50.0, 50.0, 75.0])  # of 4 predicted points
    want_r = torch.tensor([1, 1, 2, 2, 3]) / 3 * 100  # of 3 gt points
    want_f1 = 2 * want_p * want_r / (want_p + want_r)  # 28.571, 28.571, 57.143, 57.143, 85.714
    for use_kdtree in (True, False):
        got = f1_scores(pred, lengths, gt, THRESHOLDS, use_kdtree=use_kdtree)
        for key, want in (("precision", want_p), ("recall", want_r), ("f1", want_f1)):
            assert got[key].dtype == torch.float64 and got[key].shape == (2, 5)
            torch.testing.assert_close(got[key][0], want.double(), atol=1e-4, rtol=0)
            assert (got[key][1] == 0).all()


def test_kdtree_and_knn_paths_agree():
    pred, pred_lengths, gt = padded_batch(2000, 3000, [2000, 1500, 1, 0], seed=7)
    pred = pred * 5  # a 0.5 cube: nearest distances spread across all thresholds
    gt = gt * 5
    by_path = {k: f1_scores(pred, pred_lengths, gt, use_kdtree=k) for k in (True, False)}
    for key in ("precision", "recall", "f1"):
        assert torch.equal(by_path[True][key], by_path[False][key]), key
    assert 0 < by_path[True]["f1"][0, 0] < 90  # a non-trivial comparison: not all 0 or all 100
    safe = pred_lengths.clamp(min=1)
    gt_lengths = torch.full((4,), 3000)
    for query, q_len, ref, r_len in ((pred, safe, gt, gt_lengths), (gt, gt_lengths, pred, safe)):
        kd = _nearest_distances(query, q_len, ref, r_len, use_kdtree=True)[0]  # (B, P)
        knn = _nearest_distances(query, q_len, ref, r_len, use_kdtree=False)[0]  # (B, P)
        valid = torch.arange(query.shape[1])[None] < q_len[:, None]  # (B, P)
        torch.testing.assert_close(kd[valid], knn[valid], rtol=1e-6, atol=1e-9)


def test_cpu_default_is_kdtree(monkeypatch):
    def no_knn(*args, **kwargs):
        raise AssertionError("knn_points called on CPU")

    monkeypatch.setattr(metrics, "knn_points", no_knn)
    pred, pred_lengths, gt = padded_batch(20, 30, [20, 5], seed=1)
    assert f1_scores(pred, pred_lengths, gt)["f1"].shape == (2, len(THRESHOLDS))


def test_occupancy_iou_hand_cases():
    pred = torch.tensor([[1, 1, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0], [1, 0, 1, 0]], dtype=torch.bool)
    gt = torch.tensor([[1, 0, 1, 0], [0, 0, 0, 0], [0, 1, 0, 0], [1, 0, 1, 0]], dtype=torch.bool)
    # 1 shared of 3 occupied; both empty agree; an empty prediction of a shape; identical.
    assert metrics.occupancy_iou(pred, gt).tolist() == pytest.approx([100 / 3, 100.0, 0.0, 100.0])
    # Any trailing shape is flattened per example (a grid).
    grid = torch.zeros(2, 4, 4, 4, dtype=torch.bool)
    grid[:, :2] = True  # 32 of 64 cells
    half = grid.clone()
    half[:, 1] = False  # 16 of them
    assert metrics.occupancy_iou(half, grid).tolist() == pytest.approx([50.0, 50.0])


def trilinear_by_hand(vol, p):
    """Value of a (D, D, D) (z, y, x) grid at world point p = (x, y, z) in the cube [-0.5, 0.5]^3 with voxel
    centres at -0.5 + (i + 0.5) / D, by the eight-corner formula (p inside the hull of the centres)."""
    d = vol.shape[0]
    f = [(c + 0.5) * d - 0.5 for c in p.tolist()]  # continuous (x, y, z) index
    i0 = [int(torch.floor(torch.tensor(c))) for c in f]
    w = [c - i for c, i in zip(f, i0)]
    total = 0.0
    for dx in (0, 1):
        for dy in (0, 1):
            for dz in (0, 1):
                weight = (w[0] if dx else 1 - w[0]) * (w[1] if dy else 1 - w[1]) * (w[2] if dz else 1 - w[2])
                total += weight * vol[i0[2] + dz, i0[1] + dy, i0[0] + dx].item()
    return total


def test_grid_probability_is_trilinear_interpolation_in_the_voxel_frame():
    from utils_vox import voxel_centers

    g = torch.Generator().manual_seed(0)
    probs = torch.rand(2, 32, 32, 32, generator=g)
    # At the voxel centres: the voxel's own value (checks the axis order and the frame).
    centres = voxel_centers(32).reshape(1, -1, 3).expand(2, -1, -1)  # (2, 32^3, 3)
    assert torch.allclose(utils_vox.grid_probability(probs, centres), probs.reshape(2, -1), atol=1e-5)
    # Anywhere inside the hull of the centres: the eight-corner formula.
    pts = (torch.rand(2, 50, 3, generator=g) - 0.5) * (31 / 32)  # (2, 50, 3)
    got = utils_vox.grid_probability(probs, pts)
    for b in range(2):
        for q in range(50):
            assert got[b, q].item() == pytest.approx(trilinear_by_hand(probs[b], pts[b, q]), abs=1e-5)
