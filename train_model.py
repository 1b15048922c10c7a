"""Train a single-view-to-3D model: image -> voxel grid, point cloud or mesh (writeup 2.1-2.3, 2.5).

    python train_model.py --type 'vox' --id 'q2' --batch_size 64 --save_freq 500 --output_dir=./outputs --max_iter 10000 --vis_freq 250 --num_workers 4
    python train_model.py --type 'point' --id 'q2' --batch_size 8 --save_freq 500 --output_dir=./outputs --max_iter 10000 --vis_freq 250 --num_workers 4
    python train_model.py --type 'mesh' --id 'q2' --batch_size 8 --save_freq 500 --output_dir=./outputs --max_iter 10000 --vis_freq 250 --num_workers 4
    python train_model.py --type 'point' --id 'q2_500' --batch_size 8 --output_dir=./outputs --max_iter 5000 --num_workers 4 --n_points 500

Writes {output_dir}/{id}/checkpoint_{type}.pth (every --save_freq steps, at the end, and on Ctrl-C),
args.json, loss_{type}.csv, loss_{type}.png and vis/{type}_{step}.png. --load_checkpoint resumes exactly.
"""
import argparse

import torch

from losses import single_view_loss
from model import SingleViewto3D, model_input
from training import (RunFolder, add_common_args, autocast, check_common_args, check_positive, distribute, float32,
                      grad_scaler, setup, train_loader)
from visualize import gt_shape, pred_shape


def get_args_parser():
    p = argparse.ArgumentParser(description="Train an image -> 3D model (writeup 2.1-2.3, 2.5)")
    p.add_argument("--type", choices=["vox", "point", "mesh"], default="vox", help="output representation")
    p.add_argument("--n_points", type=int, default=1000, help="points predicted (point) / sampled per mesh for chamfer")
    p.add_argument("--vox_loss", choices=["bce", "balanced"], default="bce",
                   help="vox: plain BCE, or BCE with occupied and empty voxels weighted equally (losses.class_balanced_weight)")
    p.add_argument("--w_chamfer", type=float, default=1.0, help="weight of the chamfer loss (point, mesh)")
    p.add_argument("--w_smooth", type=float, default=0.1, help="weight of Laplacian smoothing (mesh)")
    p.add_argument("--ico_level", type=int, default=4, help="subdivision level of the ico-sphere the mesh decoder deforms")
    return add_common_args(p)


def train_model(args):
    check_common_args(args, args.type)  # before the run folder, the model or any download exists
    check_positive(args, "n_points")
    check_positive(args, "ico_level", minimum=0)
    device = setup(args)  # this process's device (under torchrun: its rank's), seeded
    run = RunFolder(args, args.type, f"{args.type} training loss")

    model = SingleViewto3D(args).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
    scaler = grad_scaler(args, device)
    start_step = run.resume(model, optimizer, scaler, expect={"type": args.type, "arch": args.arch, "n_points": args.n_points,
                                                              "ico_level": args.ico_level, "load_feat": args.load_feat})
    net = distribute(model, device)  # DDP under torchrun
    dataset, batches = train_loader(args, device, start_step)
    run.precise_bn(dataset, lambda batch: model(model_input(batch, args.load_feat, device)))  # before each checkpoint
    run.say(f"training {args.type} on {len(dataset)} views of {len(dataset.model_ids)} chairs ({dataset.dataset_dir}) "
            f"on {device} x {run.world}")

    with run.loop() as steps:
        for step in steps:
            batch = next(batches)
            with autocast(args, device):
                pred = net(model_input(batch, args.load_feat, device))
            for key in ("voxels", "points"):
                batch[key] = batch[key].to(device, non_blocking=True)
            loss, terms = single_view_loss(float32(pred), batch, args)
            optimizer.zero_grad(set_to_none=True)
            scaler.scale(loss).backward()
            scaler.step(optimizer)
            scaler.update()
            run.step_done(loss, terms)
            if run.main and run.due(args.vis_freq):
                run.picture(batch, pred_shape(pred, 0, args.type), gt_shape(batch, 0, args.type), device)
    return run.finish()


if __name__ == "__main__":
    train_model(get_args_parser().parse_args())
