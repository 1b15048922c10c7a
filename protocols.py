"""The published single-view tables' evaluation protocols, so our numbers can stand beside theirs.

The writeup's F1@0.01-0.05 on raw coordinates is its own protocol; no published table uses it. Each protocol
here is a frame (how both shapes are scaled before any distance is taken) and the numbers its papers print:
  meshrcnn    Mesh R-CNN (Gkioxari et al. 2019, meshrcnn/utils/metrics.py compare_meshes, scale "gt-10"): both
              shapes scaled per example so that the ground truth's bounding box has longest edge 10; Chamfer-L2
              = mean squared distance pred->gt plus gt->pred; normal consistency = mean cosine between a point's
              normal and its nearest neighbour's, averaged over both directions (its tables print the |cosine|
              variant); precision / recall / F1 at distances 0.1 ... 0.5.
  pixel2mesh  Pixel2Mesh's thresholds as Mesh R-CNN evaluates them (its evaluate_test_p2m): coordinates times
              0.57, F1 at tau = 1e-4 and 2 tau on squared distances (distances 0.01 and 0.01414).
  onet        Occupancy Networks (Mescheder et al. 2019, im2mesh/eval.py): volumetric IoU, Chamfer-L1 = mean of
              accuracy (pred->gt) and completeness (gt->pred) distances in units of one tenth of the ground
              truth's longest bounding-box edge, normal consistency with |cosine|.
All of them are computed from the one nearest-neighbour pass of metrics.nearest_neighbours on the samples the
writeup's F1 uses (10k points on the predicted surface, or the predicted points; 10k cached points on the ground
truth's outer surface with outward normals): scaling both shapes by s scales every distance by s, so no second
search is needed. A point cloud has no normals: its normal consistency is None ("-" in tables), never 0. An empty
prediction scores the worst value of each number: every distance the diagonal of the cube the shapes live in
(sqrt 3, Occupancy Networks' rule), normal consistency -1 (|cosine|: 0), F1 0. Means are over instances (one
class here: chairs), as the published chair rows are.

Differences from the papers that remain by design: our ground truth is the outer surface (buried faces dropped,
outer_surface.py), where Mesh R-CNN samples every face; a closed part written double-sided leaves about half of
its cached normals facing in (only the signed normal consistency sees it); an empty prediction is charged the worst
value (distance sqrt 3, as Occupancy Networks do), where Mesh R-CNN's code drops the batch. Occupancy Networks use
100k points where we use 10k.
"""
import dataclasses

import torch

from metrics import N_EVAL_POINTS, f1_at

EMPTY_DISTANCE = 3 ** 0.5  # the distance an empty prediction is charged: the diagonal of the cube [-0.5, 0.5]^3


@dataclasses.dataclass(frozen=True)
class Protocol:
    title: str  # as tables name it
    definition: str  # the one line a table shows under its title
    scale: str  # the frame, in words
    factor: object  # (B,) longest edges of the ground truths' bounding boxes -> (B,) factor every distance is multiplied by
    thresholds: tuple  # F1 thresholds, on the scaled distances (squared ones where squared)
    squared: bool  # thresholds compare squared distances (Pixel2Mesh's tau)
    columns: tuple  # (metric key, header, digits) the tables show; "f1@k" is F1 at thresholds[k]
    source: str  # where the definition and the published rows come from
    published: tuple  # (row label, {metric key: value}) chair rows as the papers print them


PROTOCOLS = {
    "meshrcnn": Protocol(
        title="Mesh R-CNN",
        definition="both shapes scaled so the ground truth's bounding box has longest edge 10; Chamfer-L2 = mean "
                   "squared distance both ways (summed); normal consistency = mean |cos| to the nearest neighbour's "
                   "normal, both ways; F1 at distances 0.1, 0.3, 0.5",
        scale="per example: 10 / longest edge of the ground truth's bounding box",
        factor=lambda longest_edge: 10.0 / longest_edge,
        thresholds=(0.1, 0.2, 0.3, 0.4, 0.5), squared=False,
        columns=(("chamfer_l2", "Chamfer-L2 (lower)", 3), ("abs_normal_consistency", "Normal cons. (abs cos)", 3),
                 ("normal_consistency", "Normal cons. (cos)", 3), ("f1@0", "F1@0.1", 1), ("f1@2", "F1@0.3", 1),
                 ("f1@4", "F1@0.5", 1)),
        source="Gkioxari et al., Mesh R-CNN (ICCV 2019), ShapeNet table, chair row; meshrcnn compare_meshes",
        published=(("Mesh R-CNN, chair", {"chamfer_l2": 0.184, "abs_normal_consistency": 0.712,
                                          "f1@0": 31.7, "f1@2": 79.8, "f1@4": 92.0}),
                   ("Mesh R-CNN, mean of 13 classes", {"f1@0": 34.6, "f1@2": 81.5, "f1@4": 92.5}))),
    "pixel2mesh": Protocol(
        title="Pixel2Mesh (as Mesh R-CNN scores it)",
        definition="coordinates times 0.57; F1 at tau = 1e-4 and 2 tau on squared distances",
        scale="both shapes times 0.57",
        factor=lambda longest_edge: torch.full_like(longest_edge, 0.57),
        thresholds=(1e-4, 2e-4), squared=True,
        columns=(("chamfer_l2", "Chamfer-L2 (lower)", 4), ("abs_normal_consistency", "Normal cons. (abs cos)", 3),
                 ("f1@0", "F1@tau", 1), ("f1@1", "F1@2tau", 1)),
        source="Gkioxari et al., Mesh R-CNN (ICCV 2019), Pixel2Mesh-protocol table, chair row; meshrcnn "
               "evaluate_test_p2m",
        published=(("Mesh R-CNN, chair", {"f1@0": 66.5, "f1@1": 79.4}),)),
    "onet": Protocol(
        title="Occupancy Networks",
        definition="volumetric IoU; Chamfer-L1 = mean of the two directions' mean distance, in units of a tenth "
                   "of the ground truth's longest bounding-box edge; normal consistency = mean |cos|, both ways",
        scale="per example: distances divided by 0.1 x longest edge of the ground truth's bounding box",
        factor=lambda longest_edge: 1.0 / (0.1 * longest_edge),
        thresholds=(), squared=False,
        columns=(("iou", "IoU", 3), ("chamfer_l1", "Chamfer-L1 (lower)", 3),
                 ("abs_normal_consistency", "Normal cons. (abs cos)", 3)),
        source="Mescheder et al., Occupancy Networks (CVPR 2019), single-image table, chair rows",
        published=(("ONet, chair", {"iou": 0.530, "chamfer_l1": 0.206, "abs_normal_consistency": 0.829}),
                   ("3D-R2N2, chair", {"iou": 0.439, "chamfer_l1": 0.270, "abs_normal_consistency": 0.663}),
                   ("Pixel2Mesh, chair", {"iou": 0.396, "chamfer_l1": 0.265, "abs_normal_consistency": 0.746}),
                   ("AtlasNet, chair", {"chamfer_l1": 0.209, "abs_normal_consistency": 0.791}))),
}
LOWER_IS_BETTER = ("chamfer_l2", "chamfer_l1")


def longest_edges(verts_list):
    """(B,) float64: the longest edge of each ground-truth mesh's axis-aligned bounding box (of its vertices, as
    Mesh R-CNN's Meshes.get_bounding_boxes)."""
    return torch.stack([(v.max(0).values - v.min(0).values).max() for v in verts_list]).double()


def _gather(values, index):
    """values (B, R, 3), index (B, P) -> (B, P, 3): each row's values at its indices."""
    return torch.gather(values, 1, index[..., None].expand(-1, -1, values.shape[-1]))


def normal_consistency(near, pred_normals, gt_normals):
    """(cos, |cos|) per example, (B,) float64 each: the mean cosine between each point's normal and its nearest
    neighbour's, over the valid predicted points and over the ground-truth points, the two means averaged."""
    pn, gn = pred_normals.double(), gt_normals.double()  # (B, N, 3), (B, M, 3)
    pn = pn / pn.norm(dim=-1, keepdim=True).clamp(min=1e-12)
    gn = gn / gn.norm(dim=-1, keepdim=True).clamp(min=1e-12)
    cos_pred = (pn * _gather(gn, near.i_pred)).sum(-1)  # (B, N): predicted point vs its nearest ground truth's
    cos_gt = (gn * _gather(pn, near.i_gt)).sum(-1)  # (B, M)
    valid = near.valid.double()  # (B, N)
    out = []
    for f in (lambda c: c, torch.abs):
        pred_mean = (f(cos_pred) * valid).sum(1) / near.counts  # (B,)
        out.append(0.5 * (pred_mean + f(cos_gt).mean(1)))
    return out


def protocol_scores(near, longest_edge, pred_normals=None, gt_normals=None):
    """Every protocol's per-example numbers from one nearest-neighbour pass.

    near: metrics.nearest_neighbours(pred, lengths, gt); longest_edge: (B,) longest_edges of the ground truths;
    pred_normals (B, N, 3) / gt_normals (B, M, 3): unit normals at the points, or None (a point cloud).
    Returns {protocol: {metric: (B,) float64, or (B, T) for precision / recall / f1}}; the normal consistencies
    are absent where either side has no normals, and the onet IoU is added by the caller (it needs the inside).
    """
    valid = near.valid.double()  # (B, N)
    d_pred = torch.where(near.valid, near.d_pred, torch.zeros_like(near.d_pred))  # (B, N), padding zeroed
    d_gt = near.d_gt  # (B, M)
    empty = near.empty
    mean_pred = (d_pred * valid).sum(1) / near.counts  # (B,) raw mean distance pred -> gt
    mean_pred2 = (d_pred.square() * valid).sum(1) / near.counts
    mean_gt, mean_gt2 = d_gt.mean(1), d_gt.square().mean(1)
    worst = torch.full_like(mean_pred, EMPTY_DISTANCE)
    mean_pred, mean_gt = torch.where(empty, worst, mean_pred), torch.where(empty, worst, mean_gt)
    mean_pred2, mean_gt2 = torch.where(empty, worst ** 2, mean_pred2), torch.where(empty, worst ** 2, mean_gt2)
    normals = None
    if pred_normals is not None and gt_normals is not None:
        cos, abs_cos = normal_consistency(near, pred_normals, gt_normals)
        normals = {"normal_consistency": torch.where(empty, -torch.ones_like(cos), cos),
                   "abs_normal_consistency": torch.where(empty, torch.zeros_like(abs_cos), abs_cos)}
    out = {}
    for name, protocol in PROTOCOLS.items():
        s = protocol.factor(longest_edge.to(mean_pred.device))  # (B,)
        scores = {"chamfer_l2": s.square() * (mean_pred2 + mean_gt2), "chamfer_l1": s * 0.5 * (mean_pred + mean_gt)}
        if normals is not None:
            scores.update(normals)
        if protocol.thresholds:
            scores.update(f1_at(near, protocol.thresholds, scale=s, squared=protocol.squared))
        out[name] = scores
    return out


def protocol_info(name, n_pred_points):
    """What a metrics file records beside a protocol's numbers: how they were produced."""
    p = PROTOCOLS[name]
    return {"title": p.title, "definition": p.definition, "scale": p.scale, "thresholds": list(p.thresholds),
            "thresholds_on": "squared distances" if p.squared else "distances",
            "n_points_pred": n_pred_points, "n_points_gt": N_EVAL_POINTS,
            "ground_truth": "the cache's points on the outer surface of the mesh, with outward normals",
            "mean_over": "instances (one class: chairs)", "source": p.source}


def column_value(scores, key):
    """A protocol's table column from its dict of numbers: "f1@k" is F1 at its k-th threshold."""
    if key.startswith("f1@"):
        f1 = scores.get("f1")
        return None if f1 is None else f1[int(key[3:])]
    return scores.get(key)
