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
import json
import os
import sys

import torch
from tqdm import tqdm

import cli
import visualize
from checkpoint import load_model
from dataset_location import resolve_dataset_dir
from r2n2_custom import R2N2, collate_batched_R2N2
from representations import gt_shape, pred_shape
from runtime import atomic_write, pick_device, seed_everything
from saliency import (ERROR_DRAWN_POINTS, ERROR_VMAX, PART_LABELS, TARGETS, VISUALIZERS, ChannelsFirst, ShapeTarget,
                      display, find_layer, nanmean, number, part_mask, saliency, share_inside, silhouette, seat_height,
                      surface_error)


def get_args_parser():
    p = argparse.ArgumentParser(description="Saliency maps and error pictures for a trained image -> 3D model (writeup 2.6)",
                                formatter_class=cli.Defaults, usage=cli.USAGE)
    p.add_argument("--type", choices=["vox", "point", "mesh"], required=True, help="representation of the checkpoint")
    p.add_argument("--checkpoint_path", required=True, help="checkpoint written by train_model.py")
    p.add_argument("--max_iter", type=int, default=10,
                   help="how many test examples to explain (the first ones of the split; the writeup's name for it: "
                        "no training happens here)")
    p.add_argument("--visualizer", choices=VISUALIZERS, default="gradcam++", help="saliency method")
    p.add_argument("--target", choices=TARGETS, default="shape",
                   help="what the saliency explains: the whole shape, or one part (legs, seat, back); see the docstring")
    p.add_argument("--target_layer", default="encoder.features.7",
                   help="dotted path of the module GradCAM reads, in the model (encoder.features.7 is layer4 of the "
                        "ResNet, its last residual stage); e.g. encoder.features.6 for layer3")
    p.add_argument("--output_dir", default=None,
                   help="folder of the pictures (not given: ./output/{visualizer}_visualizations/{type}, as the writeup)")
    cli.add_device_and_dataset_args(p)
    p.add_argument("--seed", type=int, default=0, help="seed of the points sampled on predicted surfaces")
    return p


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
    if args.max_iter < 1:
        raise cli.InputError(f"--max_iter {args.max_iter}: it is the number of test examples to explain; pass 1 or more")
    if not os.path.isfile(args.checkpoint_path):
        raise cli.InputError(f"--checkpoint_path {args.checkpoint_path} does not exist; pass the path printed at the "
                             "end of train_model.py")
    resolve_dataset_dir(args.dataset_dir, classes=args.classes)  # a wrong dataset is one line, before anything is loaded or written
    device = pick_device(args.device)
    seed_everything(args.seed)
    model, train_args, ckpt = load_model(args.checkpoint_path, device, expect={"type": args.type, "model_type": None})
    if train_args.load_feat:
        raise cli.InputError(f"{args.checkpoint_path} was trained on precomputed features (--load_feat), so it has "
                             "no image encoder to explain; train without --load_feat")
    layer = find_layer(model, args.target_layer)
    net = ChannelsFirst(model)
    faces = model.decoder.template_faces if args.type == "mesh" else None

    dataset = R2N2("test", args.dataset_dir, views="one", classes=args.classes)
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
    sys.exit(cli.run(main, get_args_parser().parse_args()))
