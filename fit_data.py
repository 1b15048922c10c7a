"""Fit a voxel grid, a point cloud or a mesh to one ground-truth chair with the losses alone (writeup 1.1-1.3).

No network: the source shape's own parameters are optimised until it matches the target.

    python fit_data.py --type 'vox' --save_dir "./output" --save_predictions --save_visualizations
    python fit_data.py --type 'point' --save_dir "./output" --save_predictions --save_visualizations
    python fit_data.py --type 'mesh' --save_dir "./output" --save_predictions --save_visualizations
"""
import argparse
import os
import sys
import time

import numpy as np
import torch
from pytorch3d.io import IO, save_obj
from pytorch3d.ops import sample_points_from_meshes
from pytorch3d.structures import Pointclouds
from pytorch3d.utils import ico_sphere
from tqdm import tqdm

import cli
import visualize
from losses import chamfer_loss, smoothness_loss, voxel_loss
from metrics import N_EVAL_POINTS, f1_scores, occupancy_iou, sample_surfaces
from r2n2_custom import R2N2
from runtime import atomic_write, pick_device, seed_everything
from utils_vox import voxels_to_meshes

# Per representation: the learning rate, chosen so each fit (1000 steps) converges in under 3 minutes on 2 CPU cores.
DEFAULT_LR = {"vox": 0.05, "point": 0.01, "mesh": 0.01}
GIF_SIZE = 192  # pixels of the turntable frames


def get_args_parser():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=cli.Defaults,
                                     usage=cli.USAGE)
    parser.add_argument("--type", choices=["vox", "point", "mesh"], default="vox", help="representation to fit")
    parser.add_argument("--max_iter", type=int, default=1000, help="optimisation steps")
    parser.add_argument("--lr", type=float, default=None,
                        help="Adam learning rate (not given: 0.05 for vox, 0.01 for point and mesh)")
    parser.add_argument("--n_points", type=int, default=2000,
                        help="points in the point cloud / sampled per step on meshes")
    parser.add_argument("--w_chamfer", type=float, default=1.0, help="weight of the chamfer term (mesh)")
    parser.add_argument("--w_smooth", type=float, default=0.1, help="weight of the Laplacian smoothing term (mesh)")
    parser.add_argument("--ico_level", type=int, default=4, help="subdivision level of the source ico-sphere (mesh)")
    parser.add_argument("--index", type=int, default=0, help="which chair of the split to fit")
    parser.add_argument("--split", default="train", help="split the chair comes from")
    parser.add_argument("--save_dir", "--output_dir", dest="save_dir", default="./output",
                        help="folder for predictions and pictures (--output_dir is the same flag; the default is "
                             "the writeup's)")
    parser.add_argument("--save_predictions", action="store_true", help="write the fitted shape (.npy / .ply / .obj)")
    parser.add_argument("--save_visualizations", action="store_true",
                        help="write a 'source | target' PNG and turntable GIF")
    cli.add_device_and_dataset_args(parser)
    parser.add_argument("--seed", type=int, default=0, help="random seed")
    return parser


def main(args):
    args.lr = DEFAULT_LR[args.type] if args.lr is None else args.lr
    cli.check_at_least(args, "max_iter", "n_points")
    cli.check_at_least(args, "ico_level", "index", minimum=0)
    if not args.lr > 0:
        raise cli.InputError(f"--lr must be positive, not {args.lr}")

    device = pick_device(args.device)
    seed_everything(args.seed)
    # PyTorch3D's sample_points_from_meshes adds its gradient from parallel threads in arrival order: on more than
    # one thread a mesh fit differed run to run (F1@0.01 55.0-55.6 at 300 steps); the deterministic path is as fast.
    torch.use_deterministic_algorithms(True, warn_only=True)
    dataset = R2N2(args.split, args.dataset_dir, views="one", classes=args.classes)
    if not 0 <= args.index < len(dataset):
        raise cli.InputError(f"--index {args.index} is out of range: the {args.split} split has {len(dataset)} chairs")
    item = dataset[args.index]
    gt_voxels = item["voxels"][None].to(device)  # (1, D, D, D)
    gt_points = item["points"][None].to(device)  # (1, N_EVAL_POINTS, 3), a fixed sample of the GT surface
    gt_verts, gt_faces = item["verts"].to(device), item["faces"].to(device)
    print(f"fitting {args.type} to chair {item['model_id']} ({args.split} #{args.index}) on {device}")

    def gt_subset(n):
        """n ground-truth surface points, a fresh random subset each call."""
        idx = torch.randint(gt_points.shape[1], (n,), device=device)
        return gt_points[:, idx]  # (1, n, 3)

    # The source shape: its parameters are what the optimiser changes.
    if args.type == "vox":
        # Logits at the prior of a chair's grid (about 4 % occupied, logit -3), as the voxel decoder starts: from
        # 0 every voxel is a coin toss and the first surfaces are a 30k-face noise that is slow to mesh and draw.
        param = (0.1 * torch.randn(1, *gt_voxels.shape[1:], device=device) - 3.0).requires_grad_()  # (1, D, D, D)
    elif args.type == "point":
        param = (0.3 * torch.randn(1, args.n_points, 3, device=device)).requires_grad_()  # (1, n_points, 3)
    else:
        sphere = ico_sphere(args.ico_level, device).scale_verts(0.4)
        param = torch.zeros(sphere.verts_packed().shape, device=device, requires_grad=True)  # per-vertex offsets (V, 3)
    optimizer = torch.optim.Adam([param], lr=args.lr)

    t0 = time.time()
    bar = tqdm(range(args.max_iter), desc=f"fit {args.type}", dynamic_ncols=True)
    for step in bar:
        if args.type == "vox":
            loss = voxel_loss(param, gt_voxels)
        elif args.type == "point":
            loss = chamfer_loss(param, gt_subset(args.n_points))
        else:
            mesh = sphere.offset_verts(param)
            loss_chamfer = chamfer_loss(sample_points_from_meshes(mesh, args.n_points), gt_subset(args.n_points))
            loss = args.w_chamfer * loss_chamfer + args.w_smooth * smoothness_loss(mesh)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if step % 10 == 0 or step == args.max_iter - 1:
            bar.set_postfix(loss=f"{loss.item():.5f}")
    elapsed = time.time() - t0

    # Final quality, measured the way eval_model.py measures predictions.
    with torch.no_grad():
        if args.type == "vox":
            probs = torch.sigmoid(param)[0]  # (D, D, D)
            iou = occupancy_iou(probs[None] > 0.5, gt_voxels > 0.5).item() / 100  # a share, not percent
            (verts, faces), = voxels_to_meshes(probs[None])
            pred_points, pred_len = sample_surfaces([verts], [faces], N_EVAL_POINTS)
            summary = f"voxel IoU {iou:.4f}"
        elif args.type == "point":
            pred_points, pred_len = param.detach(), torch.tensor([args.n_points])
            summary = ""
        else:
            fitted = sphere.offset_verts(param)
            pred_points, pred_len = sample_surfaces(fitted.verts_list(), fitted.faces_list(), N_EVAL_POINTS)
            summary = ""
        f1 = f1_scores(pred_points, pred_len, gt_points)["f1"][0]
        cd = chamfer_loss(pred_points[:, : int(pred_len[0])], gt_points).item() if pred_len[0] > 0 else float("nan")
        summary = ", ".join(s for s in [summary, f"F1@0.01 {f1[0]:.2f}", f"F1@0.05 {f1[-1]:.2f}", f"chamfer {cd:.6f}"]
                            if s)
    print(f"done in {elapsed:.1f} s ({args.max_iter / elapsed:.1f} it/s): {summary}")

    os.makedirs(args.save_dir, exist_ok=True)
    written = []
    if args.save_predictions:
        if args.type == "vox":
            path = os.path.join(args.save_dir, "fit_vox.npy")
            atomic_write(path, lambda tmp: np.save(tmp, probs.cpu().numpy()))
        elif args.type == "point":
            path = os.path.join(args.save_dir, "fit_point.ply")
            atomic_write(path, lambda tmp: IO().save_pointcloud(Pointclouds([param.detach()[0].cpu()]), tmp))
        else:
            path = os.path.join(args.save_dir, "fit_mesh.obj")
            atomic_write(path, lambda tmp: save_obj(tmp, fitted.verts_packed().cpu(), fitted.faces_packed().cpu()))
        written.append(path)
    if args.save_visualizations:
        # 24 frames at 192 px: PyTorch3D's CPU rasterizer loops over every pixel and face (~1 s a frame at 256 px
        # for a 5k-face mesh), so this keeps a CPU turntable under half a minute.
        cams = visualize.orbit_cameras(np.linspace(0, 360, 24, endpoint=False) + 30, device=device)
        if args.type == "vox":
            src = visualize.render_shape("vox", probs, cams, GIF_SIZE)
            tgt = visualize.render_shape("vox", gt_voxels[0], cams, GIF_SIZE)
        elif args.type == "point":
            src = visualize.render_shape("point", param.detach()[0], cams, GIF_SIZE)
            tgt = visualize.render_shape("point", gt_points[0, : args.n_points], cams, GIF_SIZE)
        else:
            src = visualize.render_shape("mesh", (fitted.verts_packed(), fitted.faces_packed()), cams, GIF_SIZE)
            tgt = visualize.render_shape("mesh", (gt_verts, gt_faces), cams, GIF_SIZE)
        png = os.path.join(args.save_dir, f"fit_{args.type}.png")
        gif = os.path.join(args.save_dir, f"fit_{args.type}.gif")
        visualize.save_panel([src[0], tgt[0]], ["Source (fitted)", "Target"], png, suptitle=f"{args.type}: {summary}")
        visualize.save_turntable_gif([src, tgt], gif)
        written += [png, gif]
    for path in written:
        print(f"wrote {path}")


if __name__ == "__main__":
    sys.exit(cli.run(main, get_args_parser().parse_args()))
