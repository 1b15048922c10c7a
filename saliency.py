"""Saliency for 3D outputs: the scalar a map explains (whole shape or one part of the chair), the maps of
pytorch-grad-cam's methods, and the prediction's surface error; gradcam.py draws and summarises them.

A 3D prediction has no class score, so `ShapeTarget` defines one per representation (gradcam.py's
docstring says which); parts are cut by height at the seat, found as the densest horizontal slab of
the ground-truth surface.
"""
import copy

import numpy as np
import torch
import torch.nn as nn
from pytorch3d.ops import knn_points
from pytorch3d.structures import Meshes
from pytorch_grad_cam import GradCAM, GradCAMPlusPlus, GuidedBackpropReLUModel

from cli import InputError
from representations import prediction_points
from losses import chamfer_loss
from metrics import THRESHOLDS, f1_scores, sample_surfaces
from utils_vox import voxel_centers

VISUALIZERS = ("gradcam", "gradcam++", "guided_backprop", "guided_gradcam")
TARGETS = ("shape", "legs", "seat", "back")
PART_LABELS = {"shape": "whole shape", "legs": "legs", "seat": "seat", "back": "back"}
SEAT_BIN = 0.02  # height resolution of the seat finder (object frame, bounding-box diagonal 1)
SEAT_HALF_THICKNESS = 0.05  # points within this height of the seat belong to the seat
ERROR_VMAX = 0.1  # top of the error colour scale: twice the F1 threshold of 0.05
ERROR_DRAWN_POINTS = 5000  # points drawn per cloud in the error picture



class ChannelsFirst(nn.Module):
    """A SingleViewto3D model as pytorch-grad-cam calls it: (B, 3, H, W) in [0, 1] -> one tensor per example.

    Returns (B, D, D, D) voxel logits, (B, N, 3) points, or (B, V, 3) mesh vertices (the faces are the
    decoder's template, the same for every example).
    """

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, x):
        out = self.model(x.permute(0, 2, 3, 1))  # the model reads (B, H, W, 3)
        return out.verts_padded() if isinstance(out, Meshes) else out


def seat_height(gt_points, bin_size=SEAT_BIN):
    """Height of the seat: the centre of the densest horizontal slab of ground-truth surface points (P, 3).

    A seat is the largest horizontal surface of a chair, so its top and bottom put more surface area
    into one thin height band than legs or a back do.
    """
    y = gt_points[:, 1]
    bins = int(round(1.0 / bin_size))
    counts = torch.histc(y.float(), bins=bins, min=-0.5, max=0.5)
    return -0.5 + (int(counts.argmax()) + 0.5) * bin_size


def part_mask(y, part, seat_y):
    """Which of the heights y (any shape) belong to `part` of a chair whose seat is at seat_y."""
    if part == "shape":
        return torch.ones_like(y, dtype=torch.bool)
    if part == "legs":
        return y < seat_y - SEAT_HALF_THICKNESS
    if part == "seat":
        return (y - seat_y).abs() <= SEAT_HALF_THICKNESS
    if part == "back":
        return y > seat_y + SEAT_HALF_THICKNESS
    raise ValueError(f"unknown target {part!r}; choose one of {', '.join(TARGETS)}")


def part_chamfer(pred, gt, pred_in, gt_in):
    """Chamfer distance (squared, as losses.chamfer_loss) restricted to part of each cloud.

    pred (N, 3), gt (M, 3); pred_in (N,), gt_in (M,) bool. The mean squared distance from the predicted
    points in the part to their nearest ground-truth point plus the same from the ground-truth points in
    the part to the prediction; a part empty in one cloud drops its term. With every point in the part it
    equals losses.chamfer_loss.
    """
    d_pred = knn_points(pred[None], gt[None], K=1).dists[0, :, 0]  # (N,) squared
    d_gt = knn_points(gt[None], pred[None], K=1).dists[0, :, 0]  # (M,) squared
    total = pred.sum() * 0.0  # keeps the graph when both parts are empty
    if pred_in.any():
        total = total + d_pred[pred_in].mean()
    if gt_in.any():
        total = total + d_gt[gt_in].mean()
    return total


class ShapeTarget:
    """The scalar a saliency map explains, for one example: see the module docstring.

    Args:
        kind: "vox", "point" or "mesh".
        part: one of TARGETS.
        gt_points: (M, 3) ground-truth surface points; gt_voxels: (D, D, D) ground-truth occupancy.
        faces: (F, 3) the mesh decoder's template faces, n_samples: points sampled on the mesh (mesh only).
    Called on one example's output: (D, D, D) logits, (N, 3) points or (V, 3) vertices; returns a scalar.
    """

    def __init__(self, kind, part, gt_points, gt_voxels=None, faces=None, n_samples=1000, seed=0):
        self.kind, self.part, self.n_samples, self.seed = kind, part, n_samples, seed
        self.gt_points, self.gt_voxels, self.faces = gt_points, gt_voxels, faces
        self.seat_y = seat_height(gt_points)
        self.gt_in = part_mask(gt_points[:, 1], part, self.seat_y)  # (M,)

    def __call__(self, out):
        return {"vox": self._voxels, "point": self._points, "mesh": self._mesh}[self.kind](out)

    def _voxels(self, logits):
        """(D, D, D) logits: their sum over the part's band, where the prediction (else the truth) is occupied."""
        centres_y = voxel_centers(logits.shape[-1]).to(logits.device)[..., 1]  # (D, D, D)
        band = part_mask(centres_y, self.part, self.seat_y)
        chosen = (logits.detach() > 0) & band
        if not chosen.any() and self.gt_voxels is not None:
            chosen = (self.gt_voxels.to(logits.device) > 0.5) & band
        return (logits * chosen).sum()

    def _mesh(self, verts):
        """(V, 3) vertices of the template's faces: n_samples points sampled on the mesh, scored as points."""
        (points,), _ = sample_surfaces([verts], [self.faces.to(verts.device)], self.n_samples, seed=self.seed)
        return self._points(points)

    def _points(self, points):
        """(N, 3) points: minus the chamfer to the ground truth, of the whole shape or of one part."""
        gt = self.gt_points.to(points.device)
        if self.part == "shape":
            return -chamfer_loss(points[None], gt[None])
        return -part_chamfer(points, gt, part_mask(points[:, 1].detach(), self.part, self.seat_y), self.gt_in.to(points.device))


class _Scored(nn.Module):
    """net followed by a target, as a (1, 1) "class score" for the library's guided backpropagation."""

    def __init__(self, net, target):
        super().__init__()
        self.net, self.target = net, target

    def forward(self, x):
        return self.target(self.net(x)[0]).view(1, 1)


def saliency(net, image, target, visualizer, target_layer):
    """One saliency map: net (B, 3, H, W) -> 3D output, image (3, H, W) in [0, 1], target: a ShapeTarget.

    Returns (H, W) float32 numpy, >= 0 with maximum 1. CAM maps are the library's (ReLU of the weighted
    activations, upsampled, min-max scaled), so they are all zero when no position of the target layer
    raises the target; guided maps are the per-pixel norm of the guided gradient over RGB (times the
    GradCAM map for guided_gradcam), divided by their maximum. Guided backpropagation runs on a copy of
    the network, because the library swaps its ReLU modules.
    """
    x = image[None].to(next(net.parameters()).device)  # (1, 3, H, W)
    if visualizer in ("gradcam", "gradcam++", "guided_gradcam"):
        method = GradCAMPlusPlus if visualizer == "gradcam++" else GradCAM
        with method(model=net, target_layers=[target_layer]) as cam:
            heat = cam(input_tensor=x, targets=[target])[0]  # (H, W) in [0, 1]
        if visualizer != "guided_gradcam":
            return heat.astype(np.float32)
    # device given: grad-cam 1.5.4 / 1.5.5 require it (later versions take the model's)
    grads = GuidedBackpropReLUModel(_Scored(copy.deepcopy(net), target), x.device)(x.clone(), target_category=0)  # (H, W, 3)
    heat_gb = np.linalg.norm(grads, axis=-1)
    if visualizer == "guided_gradcam":
        heat_gb = heat_gb * heat
    return (heat_gb / max(float(heat_gb.max()), 1e-12)).astype(np.float32)


def silhouette(image):
    """(H, W) bool: pixels of the object, i.e. whose RGB (image (H, W, 3)) is not exactly 0 (the background)."""
    return (np.asarray(image) > 0).any(axis=-1)


def share_inside(heat, mask):
    """The share of a map's mass that lies inside a mask; NaN for an all-zero map."""
    total = float(heat.sum())
    return float(heat[mask].sum()) / total if total > 0 else float("nan")


def find_layer(model, path):
    try:
        return model.get_submodule(path)
    except AttributeError:
        names = [n for n, _ in model.named_modules() if n.count(".") <= 2 and n.startswith("encoder")]
        raise InputError(f"--target_layer {path} is not a module of the model; try one of {', '.join(names[:12])}, ...") from None


def display(heat, visualizer):
    """Guided gradients are a few bright pixels: scale them by their 99.5th percentile so the map can be seen."""
    if visualizer.startswith("guided"):
        top = np.percentile(heat, 99.5)
        return np.clip(heat / top, 0, 1) if top > 0 else heat
    return heat


def nanmean(values):
    """Mean of the values that are numbers (None, NaN skipped); None when there are none."""
    values = [v for v in values if v is not None and v == v]
    return sum(values) / len(values) if values else None


def number(x):
    """A float for JSON: NaN (an all-zero map, an empty part) becomes None."""
    return None if x != x else float(x)


def surface_error(pred, kind, gt_points, index):
    """The prediction's error as eval_model.py scores it: points on the prediction (vox: marching cubes at
    probability 0.5, then 10k surface samples; mesh: 10k samples; point: the points) against the cached
    ground-truth points (M, 3).

    Returns points (N, 3), pred_dist (N,) the distance of each to the ground truth, gt_dist (M,) the
    distance of each ground-truth point to the prediction (inf for an empty prediction), and F1@0.05.
    """
    with torch.no_grad():
        padded, lengths, _ = prediction_points(pred, kind, index)  # (1, N, 3), (1,)
        f1 = f1_scores(padded, lengths, gt_points[None])["f1"][0, THRESHOLDS.index(0.05)].item()
        points = padded[0, :lengths[0]]  # (N, 3)
        if len(points) == 0:
            return points, points.new_zeros(0), torch.full_like(gt_points[:, 0], float("inf")), f1
        pred_dist = knn_points(points[None], gt_points[None], K=1).dists[0, :, 0].sqrt()  # (N,)
        gt_dist = knn_points(gt_points[None], points[None], K=1).dists[0, :, 0].sqrt()  # (M,)
    return points, pred_dist, gt_dist, f1
