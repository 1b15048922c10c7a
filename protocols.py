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


def _table(keys, text):
    """{class or "mean": {key: value}} from the lines "<class> v1 v2 ..." of a published table, values under `keys`."""
    rows = {}
    for line in text.strip().splitlines():
        name, *values = line.split()
        rows[name] = {k: float(v) for k, v in zip(keys, values) if v != "-"}
    return rows


# Mesh R-CNN's released voxmesh_R50 model on the ShapeNet test set, facebookresearch/meshrcnn INSTRUCTIONS_SHAPENET.md
# ("Performance"), its classes renamed to R2N2's (speaker, firearm, watercraft, plane, monitor, couch, cellphone);
# "mean" is its "total" row, the mean over the thirteen classes. Chamfer-L2, |cos| normal consistency, F1.
_MESHRCNN = _table(("chamfer_l2", "abs_normal_consistency", "f1@0", "f1@2", "f1@4"), """
airplane    0.187465 0.684285 39.009  80.998  92.1069
bench       0.120899 0.657536 42.4005 86.0036 95.128
cabinet     0.111294 0.75122  34.8227 86.9346 95.371
car         0.107605 0.647857 29.6397 85.7925 96.2938
chair       0.183693 0.712362 31.6906 79.8275 92.0139
display     0.218032 0.779365 27.2531 77.2979 90.904
lamp        0.413965 0.672992 30.5048 70.3449 84.5068
loudspeaker 0.253796 0.730829 24.8335 74.6606 88.237
rifle       0.168323 0.621439 47.2251 85.271  93.8171
sofa        0.144279 0.72302  27.5734 81.684  94.3294
table       0.148357 0.75642  42.249  86.2039 94.1623
telephone   0.121504 0.850437 42.9168 88.9888 96.1367
vessel      0.224168 0.642812 30.0589 75.5332 89.9764
mean        0.184875 0.710044 34.629  81.5031 92.5372""")
_MESHRCNN_P2M = _table(("chamfer_l2", "abs_normal_consistency", "f1@0", "f1@1"), """
airplane    0.000313141 0.684333 75.8104 85.3897
bench       0.000295252 0.657508 73.4681 84.4999
cabinet     0.000293613 0.751306 72.6302 84.7327
car         0.000240585 0.647896 71.8118 85.5155
chair       0.000400415 0.712348 66.5227 79.3634
display     0.000470965 0.779397 64.2917 77.8422
lamp        0.000788915 0.673057 60.1057 71.7711
loudspeaker 0.000582152 0.730797 59.9974 73.8792
rifle       0.000357016 0.621438 75.9761 85.5111
sofa        0.000355369 0.723013 64.1388 79.327
table       0.000342991 0.756442 76.0776 85.4878
telephone   0.000280397 0.850456 77.3011 87.8698
vessel      0.000449061 0.642791 62.808  76.5464
mean        0.000397682 0.71006  69.303  81.3643""")
# Occupancy Networks' single-image table, per method (IoU, Chamfer-L1, |cos| normal consistency). The README of
# autonomousvision/occupancy_networks (img/table_img2mesh.png, 2019-07-23) prints the baselines and its released
# ONet model (retrained, "slightly better performance than the model from the paper"); the paper's Table 1 has the
# same baseline rows and its own ONet row, taken here from a verbatim reproduction (Ray-tju/DmifNet README), not
# from the paper's PDF.
_ONET_KEYS = ("iou", "chamfer_l1", "abs_normal_consistency")
_ONET_PAPER = _table(_ONET_KEYS, """
airplane    0.571 0.147 0.840
bench       0.485 0.155 0.813
cabinet     0.733 0.167 0.879
car         0.737 0.159 0.852
chair       0.501 0.228 0.823
display     0.471 0.278 0.854
lamp        0.371 0.479 0.731
loudspeaker 0.647 0.300 0.832
rifle       0.474 0.141 0.766
sofa        0.680 0.194 0.863
table       0.506 0.189 0.858
telephone   0.720 0.140 0.935
vessel      0.530 0.218 0.794
mean        0.571 0.215 0.834""")
_ONET_RELEASED = _table(_ONET_KEYS, """
airplane    0.591 0.134 0.845
bench       0.492 0.150 0.814
cabinet     0.750 0.153 0.884
car         0.746 0.149 0.852
chair       0.530 0.206 0.829
display     0.518 0.258 0.857
lamp        0.400 0.368 0.751
loudspeaker 0.677 0.266 0.842
rifle       0.480 0.143 0.783
sofa        0.693 0.181 0.867
table       0.542 0.182 0.860
telephone   0.746 0.127 0.939
vessel      0.547 0.201 0.797
mean        0.593 0.194 0.840""")
# The baselines as both of those tables print them: 3D-R2N2, Pixel2Mesh (IoU, Chamfer-L1, NC), AtlasNet (no IoU).
_R2N2 = _table(_ONET_KEYS, """
airplane    0.426 0.227 0.629
bench       0.373 0.194 0.678
cabinet     0.667 0.217 0.782
car         0.661 0.213 0.714
chair       0.439 0.270 0.663
display     0.440 0.314 0.720
lamp        0.281 0.778 0.560
loudspeaker 0.611 0.318 0.711
rifle       0.375 0.183 0.670
sofa        0.626 0.229 0.731
table       0.420 0.239 0.732
telephone   0.611 0.195 0.817
vessel      0.482 0.238 0.629
mean        0.493 0.278 0.695""")
_PIXEL2MESH = _table(_ONET_KEYS, """
airplane    0.420 0.187 0.759
bench       0.323 0.201 0.732
cabinet     0.664 0.196 0.834
car         0.552 0.180 0.756
chair       0.396 0.265 0.746
display     0.490 0.239 0.830
lamp        0.323 0.308 0.666
loudspeaker 0.599 0.285 0.782
rifle       0.402 0.164 0.718
sofa        0.613 0.212 0.820
table       0.395 0.218 0.784
telephone   0.661 0.149 0.907
vessel      0.397 0.212 0.699
mean        0.480 0.216 0.772""")
_ATLASNET = _table(_ONET_KEYS, """
airplane    - 0.104 0.836
bench       - 0.138 0.779
cabinet     - 0.175 0.850
car         - 0.141 0.836
chair       - 0.209 0.791
display     - 0.198 0.858
lamp        - 0.305 0.694
loudspeaker - 0.245 0.825
rifle       - 0.115 0.725
sofa        - 0.177 0.840
table       - 0.190 0.832
telephone   - 0.128 0.923
vessel      - 0.151 0.756
mean        - 0.175 0.811""")


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
    published: tuple  # (method, {class name or "mean" (over the 13 classes): {metric key: value}}) as printed


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
        source="Gkioxari et al., Mesh R-CNN (ICCV 2019); the released voxmesh_R50 model's per-class table, "
               "facebookresearch/meshrcnn INSTRUCTIONS_SHAPENET.md (scale-normalised protocol); meshrcnn compare_meshes",
        published=(("Mesh R-CNN", _MESHRCNN),)),
    "pixel2mesh": Protocol(
        title="Pixel2Mesh (as Mesh R-CNN scores it)",
        definition="coordinates times 0.57; F1 at tau = 1e-4 and 2 tau on squared distances",
        scale="both shapes times 0.57",
        factor=lambda longest_edge: torch.full_like(longest_edge, 0.57),
        thresholds=(1e-4, 2e-4), squared=True,
        columns=(("chamfer_l2", "Chamfer-L2 (lower)", 4), ("abs_normal_consistency", "Normal cons. (abs cos)", 3),
                 ("f1@0", "F1@tau", 1), ("f1@1", "F1@2tau", 1)),
        source="Gkioxari et al., Mesh R-CNN (ICCV 2019); the released model's per-class table under the Pixel2Mesh "
               "protocol, facebookresearch/meshrcnn INSTRUCTIONS_SHAPENET.md; meshrcnn evaluate_test_p2m",
        published=(("Mesh R-CNN", _MESHRCNN_P2M),)),
    "onet": Protocol(
        title="Occupancy Networks",
        definition="volumetric IoU; Chamfer-L1 = mean of the two directions' mean distance, in units of a tenth "
                   "of the ground truth's longest bounding-box edge; normal consistency = mean |cos|, both ways",
        scale="per example: distances divided by 0.1 x longest edge of the ground truth's bounding box",
        factor=lambda longest_edge: 1.0 / (0.1 * longest_edge),
        thresholds=(), squared=False,
        columns=(("iou", "IoU", 3), ("chamfer_l1", "Chamfer-L1 (lower)", 3),
                 ("abs_normal_consistency", "Normal cons. (abs cos)", 3)),
        source="Mescheder et al., Occupancy Networks (CVPR 2019): the paper's Table 1 (ONet paper; as reproduced "
               "verbatim in Ray-tju/DmifNet's README) and the updated table of autonomousvision/occupancy_networks' "
               "README (its released model, and the 3D-R2N2, Pixel2Mesh and AtlasNet rows both print)",
        published=(("ONet (paper)", _ONET_PAPER), ("ONet (released model)", _ONET_RELEASED), ("3D-R2N2", _R2N2),
                   ("Pixel2Mesh", _PIXEL2MESH), ("AtlasNet", _ATLASNET))),
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
            "mean_over": "instances (with several classes, class_mean holds the mean over classes)", "source": p.source}


def column_value(scores, key):
    """A protocol's table column from its dict of numbers: "f1@k" is F1 at its k-th threshold."""
    if key.startswith("f1@"):
        f1 = scores.get("f1")
        return None if f1 is None else f1[int(key[3:])]
    return scores.get(key)
