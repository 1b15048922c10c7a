"""Interpret a trained single-view-to-3D model: which pixels of the input image drive its 3D prediction (writeup 2.6).

    python gradcam.py --type vox --checkpoint_path <vox_trained_checkpoint_path> --max_iter 10  --visualizer gradcam++ --output_dir ./output/gradcam++_visualizations/vox
    python gradcam.py --type point --checkpoint_path <point_trained_checkpoint_path> --max_iter 10  --visualizer gradcam++ --output_dir ./output/gradcam++_visualizations/point
    python gradcam.py --type mesh --checkpoint_path <mesh_trained_checkpoint_path> --max_iter 10  --visualizer gradcam++ --output_dir ./output/gradcam++_visualizations/mesh

The saliency methods come from pytorch-grad-cam: GradCAM, GradCAM++ (at --target_layer, by default layer4,
the last residual stage of the ResNet encoder), guided backpropagation, and guided GradCAM (their product).
A 3D prediction has no class score, so this file defines the scalar that the saliency explains
(`ShapeTarget`, chosen with --target):
  shape  vox:   the summed occupancy logits of the voxels predicted occupied (logit > 0): how strongly the
                model asserts the shape it predicts;
         point: minus the chamfer distance to the ground-truth points (losses.chamfer_loss): how well it does;
         mesh:  the same, on points sampled (seeded) on the predicted surface, as many as training used.
  legs / seat / back: the same restricted to one part of the chair, cut by height (y is up) at the seat,
         whose height is the densest 0.02-thick horizontal slab of the ground-truth surface: legs are
         below the seat, the seat is within 0.05 of that height, the back (with any armrests) above it.
         vox: the predicted-occupied voxels of the part (the part's ground-truth voxels when none are
         predicted there, i.e. "which pixels would make the missing part"); point, mesh: the chamfer
         terms of the predicted points in the part and of the ground-truth points in the part.
So "which pixels make the legs?" is `--target legs`.

For each of the first --max_iter test examples (one view per chair, as eval_model.py uses) it writes into
--output_dir:
  in_out_XXXX.png   the writeup's "In | Out" picture: the input image and the saliency over it (--target);
  panel_XXXX.png    input, saliency for the whole shape and for each part, and the prediction and the
                    ground truth rendered from the input view;
  error_XXXX.png    the prediction's error drawn on its surface (distance to the ground truth per point,
                    from the input view and from the side) and the ground truth coloured by its distance
                    to the prediction (what is missing), with a colour bar;
  summary.json      per target, the share of saliency mass inside the object's silhouette, averaged over
                    the examples, beside the silhouette's share of the image (what a uniform map would
                    score); the mean error of the prediction per part; and every per-example number.
The silhouette is the set of pixels whose RGB is not exactly 0: the dataset's background is RGB 0 and the
loader drops the alpha channel.
"""
import argparse
import copy
import json
import os

import numpy as np
import torch
import torch.nn as nn
from pytorch3d.ops import knn_points
from pytorch3d.structures import Meshes
from pytorch_grad_cam import GradCAM, GradCAMPlusPlus, GuidedBackpropReLUModel
from tqdm import tqdm

import visualize
from eval_model import prediction_points
from losses import chamfer_loss
from metrics import THRESHOLDS, f1_scores, sample_surfaces
from model import SingleViewto3D
from r2n2_custom import R2N2, collate_batched_R2N2
from runtime import atomic_write, load_checkpoint, pick_device, seed_everything
from train_model import gt_shape, pred_shape
from utils_vox import voxel_centers

VISUALIZERS = ("gradcam", "gradcam++", "guided_backprop", "guided_gradcam")
TARGETS = ("shape", "legs", "seat", "back")
PART_LABELS = {"shape": "whole shape", "legs": "legs", "seat": "seat", "back": "back"}
SEAT_BIN = 0.02  # height resolution of the seat finder (object frame, bounding-box diagonal 1)
SEAT_HALF_THICKNESS = 0.05  # points within this height of the seat belong to the seat
ERROR_VMAX = 0.1  # top of the error colour scale: twice the F1 threshold of 0.05
ERROR_DRAWN_POINTS = 5000  # points drawn per cloud in the error picture


def get_args_parser():
    p = argparse.ArgumentParser(description="Saliency maps and error pictures for a trained image -> 3D model")
    p.add_argument("--type", choices=["vox", "point", "mesh"], required=True, help="representation of the checkpoint")
    p.add_argument("--checkpoint_path", required=True, help="checkpoint written by train_model.py")
    p.add_argument("--max_iter", type=int, default=10, help="how many test examples to interpret (the first ones)")
    p.add_argument("--visualizer", choices=VISUALIZERS, default="gradcam++", help="saliency method")
    p.add_argument("--target", choices=TARGETS, default="shape",
                   help="what the saliency explains: the whole shape, or one part (legs, seat, back); see the docstring")
    p.add_argument("--target_layer", default="encoder.features.7",
                   help="dotted path of the module GradCAM reads, in the model (default: layer4 of the ResNet, "
                        "its last residual stage); e.g. encoder.features.6 for layer3")
    p.add_argument("--output_dir", default=None, help="folder of the pictures (default: ./output/{visualizer}_visualizations/{type})")
    p.add_argument("--device", default="auto", help="auto (CUDA if available, else CPU), cpu, cuda, ...")
    p.add_argument("--dataset_dir", default=None, help="dataset folder (default: see dataset_location.py)")
    p.add_argument("--seed", type=int, default=0, help="seed of the points sampled on predicted surfaces")
    return p


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
        if self.kind == "vox":
            centres_y = voxel_centers(out.shape[-1]).to(out.device)[..., 1]  # (D, D, D)
            band = part_mask(centres_y, self.part, self.seat_y)
            chosen = (out.detach() > 0) & band
            if not chosen.any() and self.gt_voxels is not None:
                chosen = (self.gt_voxels.to(out.device) > 0.5) & band
            return (out * chosen).sum()
        gt = self.gt_points.to(out.device)
        if self.kind == "mesh":
            (points,), _ = sample_surfaces([out], [self.faces.to(out.device)], self.n_samples, seed=self.seed)
        else:
            points = out
        if self.part == "shape":
            return -chamfer_loss(points[None], gt[None])
        return -part_chamfer(points, gt, part_mask(points[:, 1].detach(), self.part, self.seat_y), self.gt_in.to(out.device))


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
    grads = GuidedBackpropReLUModel(_Scored(copy.deepcopy(net), target))(x.clone(), target_category=0)  # (H, W, 3)
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
        raise SystemExit(f"error: --target_layer {path} is not a module of the model; try one of {', '.join(names[:12])}, ...") from None


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
        padded, lengths = prediction_points(pred, kind, index)  # (1, N, 3), (1,)
        f1 = f1_scores(padded, lengths, gt_points[None])["f1"][0, THRESHOLDS.index(0.05)].item()
        points = padded[0, :lengths[0]]  # (N, 3)
        if len(points) == 0:
            return points, points.new_zeros(0), torch.full_like(gt_points[:, 0], float("inf")), f1
        pred_dist = knn_points(points[None], gt_points[None], K=1).dists[0, :, 0].sqrt()  # (N,)
        gt_dist = knn_points(gt_points[None], points[None], K=1).dists[0, :, 0].sqrt()  # (M,)
    return points, pred_dist, gt_dist, f1


def save_pictures(out_dir, name, args, batch, pred, maps, shares, error, title):
    """in_out_{name}.png, panel_{name}.png and error_{name}.png of one example (see the module docstring)."""
    image = batch["images"][0].numpy()  # (H, W, 3)
    device = pred.device  # a tensor or Meshes
    R, T, K = (batch[k][0].to(device) for k in ("R", "T", "K"))
    over = {p: visualize.overlay_heatmap(image, display(maps[p], args.visualizer)) for p in TARGETS}
    visualize.save_panel([image, over[args.target]], ["In", f"Out: {args.visualizer} ({PART_LABELS[args.target]})"],
                         os.path.join(out_dir, f"in_out_{name}.png"))
    cams = visualize.input_view_cameras(R, T, K, device)
    renders = [visualize.render_shape(*pred_shape(pred, 0, args.type), cams, 192)[0],
               visualize.render_shape(*gt_shape(batch, 0, "mesh"), cams, 192)[0]]
    inside = {p: "zero map" if shares[p] != shares[p] else f"{100 * shares[p]:.0f}% inside" for p in TARGETS}
    visualize.save_panel([image] + [over[p] for p in TARGETS] + renders,
                         ["Input"] + [f"{PART_LABELS[p]}: {inside[p]}" for p in TARGETS] + ["Prediction", "Ground truth"],
                         os.path.join(out_dir, f"panel_{name}.png"),
                         suptitle=f"{title}: {args.visualizer} saliency per target (share of it inside the silhouette, "
                                  f"which covers {100 * silhouette(image).mean():.0f}% of the image)")
    points, pred_dist, gt_dist, f1 = error
    k = ERROR_DRAWN_POINTS
    if len(points):
        title = (f"{title}: F1@0.05 = {f1:.1f}; mean distance of the prediction to the ground truth "
                 f"{pred_dist.mean().item():.3f}, of the ground truth to the prediction {gt_dist.mean().item():.3f}")
    else:
        title = f"{title}: the prediction is empty (F1@0.05 = 0)"
    visualize.save_error_panel(
        os.path.join(out_dir, f"error_{name}.png"), batch["images"][0], points[:k], pred_dist[:k],
        batch["points"][0][:k].to(device), gt_dist[:k].clamp(max=1e3), R, T, K, vmax=ERROR_VMAX, title=title)


def main(args):
    device = pick_device(args.device)
    seed_everything(args.seed)
    if args.max_iter < 1:
        raise SystemExit(f"error: --max_iter {args.max_iter}: interpret at least one example")
    ckpt = load_checkpoint(args.checkpoint_path, expect={"type": args.type})
    train_args = argparse.Namespace(**ckpt["args"])
    if getattr(train_args, "model_type", None):
        raise SystemExit(f"error: {args.checkpoint_path} holds a {train_args.model_type} model of writeup section 3; "
                         "gradcam.py explains the vox / point / mesh models of train_model.py")
    if train_args.load_feat:
        raise SystemExit(f"error: {args.checkpoint_path} was trained on precomputed features (--load_feat), so it has "
                         "no image encoder to explain; train without --load_feat")
    train_args.pretrained = "no"  # the weights come from the checkpoint
    model = SingleViewto3D(train_args).to(device)
    model.load_state_dict(ckpt["model"])
    model.eval()
    layer = find_layer(model, args.target_layer)
    net = ChannelsFirst(model)
    faces = model.decoder.template_faces if args.type == "mesh" else None

    dataset = R2N2("test", args.dataset_dir, views="one")
    out_dir = args.output_dir or os.path.join("output", f"{args.visualizer}_visualizations", args.type)
    os.makedirs(out_dir, exist_ok=True)
    per_example = []
    n = min(args.max_iter, len(dataset))
    for i in tqdm(range(n), desc=f"{args.visualizer} {args.type}", dynamic_ncols=True):
        batch = collate_batched_R2N2([dataset[i]])
        image = batch["images"][0]  # (H, W, 3)
        gt_points = batch["points"][0].to(device)  # (M, 3)
        with torch.no_grad():
            pred = model(batch["images"].to(device))
        maps, shares = {}, {}
        for part in TARGETS:
            target = ShapeTarget(args.type, part, gt_points, batch["voxels"][0].to(device), faces, train_args.n_points,
                                 args.seed)
            maps[part] = saliency(net, image.permute(2, 0, 1), target, args.visualizer, layer)
            shares[part] = share_inside(maps[part], silhouette(image.numpy()))
        error = surface_error(pred, args.type, gt_points, i)
        points, pred_dist, _, f1 = error
        seat_y = seat_height(gt_points)
        part_error = {p: pred_dist[m].mean().item() if m.any() else float("nan")
                      for p, m in ((p, part_mask(points[:, 1], p, seat_y)) for p in TARGETS)}
        save_pictures(out_dir, f"{i:04d}", args, batch, pred, maps, shares, error,
                      title=f"{args.type} #{i} ({batch['model_id'][0]})")
        per_example.append({
            "index": i, "model_id": batch["model_id"][0], "view": batch["view"][0], "seat_height": seat_y,
            "silhouette_area": float(silhouette(image.numpy()).mean()),
            "saliency_inside_silhouette": {p: number(v) for p, v in shares.items()},
            "f1@0.05": f1, "pred_to_gt_distance": {p: number(v) for p, v in part_error.items()},
        })

    summary = {
        "type": args.type, "checkpoint": os.path.abspath(args.checkpoint_path), "step": ckpt["step"],
        "visualizer": args.visualizer, "target_layer": args.target_layer, "target": args.target,
        "dataset": dataset.dataset_dir, "n_examples": n,
        "silhouette_area": nanmean([e["silhouette_area"] for e in per_example]),
        "saliency_inside_silhouette": {p: nanmean([e["saliency_inside_silhouette"][p] for e in per_example]) for p in TARGETS},
        "pred_to_gt_distance": {p: nanmean([e["pred_to_gt_distance"][p] for e in per_example]) for p in TARGETS},
        "f1@0.05": nanmean([e["f1@0.05"] for e in per_example]),
        "per_example": per_example,
    }
    path = os.path.join(out_dir, "summary.json")
    atomic_write(path, lambda tmp: json.dump(summary, open(tmp, "w"), indent=1))
    inside = summary["saliency_inside_silhouette"][args.target]
    if inside is None:
        print(f"{args.visualizer} {args.type}: every map of the {args.target} target is zero "
              "(no position of the target layer raises it on these examples)")
    else:
        print(f"{args.visualizer} {args.type}: {100 * inside:.1f}% of the saliency ({args.target}) lies inside the "
              f"silhouette, which covers {100 * summary['silhouette_area']:.1f}% of the image ({n} test examples)")
    print(f"wrote {n} x in_out/panel/error pictures and {path}")
    return summary


if __name__ == "__main__":
    main(get_args_parser().parse_args())
