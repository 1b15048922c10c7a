"""Train a single-view-to-3D model: image -> voxel grid, point cloud or mesh (writeup 2.1-2.3, 2.5).

    python train_model.py --type 'vox' --id 'q2' --batch_size 64 --save_freq 500 --output_dir=./outputs --max_iter 10000 --vis_freq 250 --num_workers 4
    python train_model.py --type 'point' --id 'q2' --batch_size 8 --save_freq 500 --output_dir=./outputs --max_iter 10000 --vis_freq 250 --num_workers 4
    python train_model.py --type 'mesh' --id 'q2' --batch_size 8 --save_freq 500 --output_dir=./outputs --max_iter 10000 --vis_freq 250 --num_workers 4
    python train_model.py --type 'point' --id 'q2_500' --batch_size 8 --output_dir=./outputs --max_iter 5000 --num_workers 4 --n_points 500

Writes {output_dir}/{id}/checkpoint_{type}.pth (every --save_freq steps, at the end, and on Ctrl-C),
args.json, loss_{type}.csv, loss_{type}.png and vis/{type}_{step}.png. --load_checkpoint resumes exactly.
"""
import argparse
import sys

import cli
from cli import check_at_least
from model import ModelArgs, build_model, model_input
from representations import gt_shape, pred_shape, single_view_loss
from training import (RunFolder, adam, add_common_args, autocast, check_common_args, distribute, due,
                      float32, grad_scaler, moving_average, setup, train_loader)


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
    check_at_least(args, "n_points")
    check_at_least(args, "ico_level", minimum=0)
    device = setup(args)  # this process's device (under torchrun: its rank's), seeded
    run = RunFolder(args, args.type, f"{args.type} training loss")

    cfg = ModelArgs.from_flags(args.type, vars(args))  # what the checkpoint rebuilds the network from
    model = build_model(cfg, args.pretrained).to(device)
    optimizer = adam(model.parameters(), args.lr)
    scaler = grad_scaler(args, device)  # --amp fp16's loss scaling; a pass-through otherwise
    ema = moving_average(model, args.ema)  # --ema: the weights' moving average, which the checkpoints hold
    start_step = run.resume(cfg, model, optimizer, scaler, ema)  # --load_checkpoint
    net = distribute(model, device)  # DDP under torchrun
    dataset, batches = train_loader(args, device, start_step)
    bn_pass = (dataset, lambda batch: model(model_input(batch, cfg.load_feat, device)))  # for precise_bn
    run.say(f"training {args.type} on {len(dataset)} views of {dataset.describe()} ({dataset.dataset_dir}) "
            f"on {device} x {run.world}")

    with run.saved_on_interrupt(ema, bn_pass):  # Ctrl-C, SIGTERM: the finished steps are saved, exit code 130
        for step in run.steps():
            batch = next(batches)
            with autocast(args, device):
                pred = net(model_input(batch, cfg.load_feat, device))  # (B, 32, 32, 32), (B, n_points, 3) or Meshes
            for key in ("voxels", "points"):  # (B, 32, 32, 32), (B, P, 3)
                batch[key] = batch[key].to(device, non_blocking=True)
            loss, terms = single_view_loss(float32(pred), batch, args.type, n_points=args.n_points, w_chamfer=args.w_chamfer,
                                           w_smooth=args.w_smooth, balanced=args.vox_loss == "balanced")
            optimizer.zero_grad(set_to_none=True)
            scaler.scale(loss).backward()
            scaler.step(optimizer)
            scaler.update()
            if ema is not None:
                ema.update_parameters(model)
            run.log(step + 1, loss, terms)  # the loss log every --log_freq steps
            if run.main and due(step + 1, args.vis_freq):
                run.picture(batch, pred_shape(pred, 0, args.type), gt_shape(batch, 0, args.type), device)
            if run.checkpoint_due(step + 1):  # every --save_freq steps and at the end
                run.checkpoint(step + 1, ema, bn_pass)  # --ema's average, its batch norm statistics, then the file
    return run.finish()


if __name__ == "__main__":
    sys.exit(cli.run(train_model, get_args_parser().parse_args()))
