"""Train an AtlasNet-style parametric network: image + 2D points of a square -> 3D surface points (writeup 3.2).

    python q3_train_parametric.py --type 'point' --model_type parametric --id 'q3_parametric' --batch_size 32 --save_freq 500 --output_dir ./output --max_iter 10000 --num_workers 4
    python q3_train_parametric.py --type 'point' --model_type parametric --id 'q3_parametric_10' --n_patches 10 --batch_size 32 --save_freq 500 --output_dir ./output --max_iter 10000 --num_workers 4
    python q3_train_parametric.py --type 'point' --model_type parametric --id 'q3_parametric_25_pixel' --n_patches 25 --refine pixel --batch_size 32 --save_freq 500 --output_dir ./output --max_iter 10000 --num_workers 4

Each of --n_patches patches (1 = the writeup's single fold) has its own MLP, shared by all its points,
that maps a point (u, v) of the unit square plus the image feature to a 3D point. Each step draws
--n_points random UV points per chair (split over the patches) and minimises the chamfer loss of
losses.py against as many ground-truth surface points. At test time a regular UV grid is decoded
instead, and its triangulation is a mesh: evaluate with eval_q3.py --model_type parametric --type point
(the grid's points) or --type mesh (points sampled on the triangulated grid). --refine pixel moves every
decoded point once more by the image features where the view's camera sees it (model.PixelRefine), and
the loss is the chamfer of the refined points plus that of the patches' own.

Writes {output_dir}/{id}/checkpoint_parametric.pth (every --save_freq steps, at the end, and on Ctrl-C),
args.json, loss_parametric.csv, loss_parametric.png and vis/parametric_{step}.png (the triangulated grid).
--load_checkpoint resumes exactly.
"""
import argparse
import sys

import torch

import cli
from cli import InputError
from losses import chamfer_to_samples
from model import ModelArgs, build_model, model_input, view_matrix
from representations import gt_shape
from training import (RunFolder, adam, add_common_args, autocast, check_common_args, distribute, due,
                      float32, grad_scaler, moving_average, setup, train_loader)


def get_args_parser():
    p = argparse.ArgumentParser(description="Train an image -> parametric surface model (writeup 3.2)")
    p.add_argument("--type", choices=["point"], default="point",
                   help="output representation while training (points; the writeup passes 'point')")
    p.add_argument("--model_type", choices=["parametric"], default="parametric",
                   help="model family (the writeup passes 'parametric'; eval_q3.py checks it)")
    p.add_argument("--n_points", type=int, default=1000,
                   help="random UV points decoded per chair per step (and ground-truth points for chamfer); "
                        "also the default point count of eval_q3.py's regular grid")
    p.add_argument("--n_patches", type=int, default=1, help="number of square patches, each with its own MLP")
    p.add_argument("--refine", choices=["none", "pixel"], default="none",
                   help="pixel: move every decoded point once by the image features where the view's camera sees "
                        "it (model.PixelRefine; needs the images, not --load_feat); the patches' own points are "
                        "trained too")
    return add_common_args(p, run_id="q3_parametric", output_dir="./output", batch_size=32)


def train(args):
    check_common_args(args, "parametric")  # before the run folder, the model or any download exists
    if args.refine == "pixel" and args.load_feat:
        raise InputError("--refine pixel samples the images themselves; drop --load_feat")
    if args.n_patches < 1 or args.n_points < args.n_patches:
        raise InputError(f"need 1 <= --n_patches <= --n_points, got --n_patches {args.n_patches} "
                         f"--n_points {args.n_points}")
    device = setup(args)  # this process's device (under torchrun: its rank's), seeded
    run = RunFolder(args, "parametric", "parametric chamfer")  # checkpoint_parametric.pth, loss_parametric.csv, ...

    cfg = ModelArgs.from_flags("parametric", vars(args))  # what the checkpoint rebuilds the network from
    model = build_model(cfg, args.pretrained).to(device)
    optimizer = adam(model.parameters(), args.lr)
    scaler = grad_scaler(args, device)  # --amp fp16's loss scaling; a pass-through otherwise
    ema = moving_average(model, args.ema)  # --ema: the weights' moving average, which the checkpoints hold
    start_step = run.resume(cfg, model, optimizer, scaler, ema)  # --load_checkpoint
    net = distribute(model, device)  # DDP under torchrun
    dataset, batches = train_loader(args, device, start_step)
    camera = (lambda batch: view_matrix(batch, device)) if args.refine == "pixel" else (lambda batch: None)
    bn_pass = (dataset, lambda batch: model(model_input(batch, cfg.load_feat, device), args.n_points, camera(batch)))  # for precise_bn
    run.say(f"training parametric ({args.n_patches} patch{'es' if args.n_patches > 1 else ''}) on {len(dataset)} views "
            f"of {dataset.describe()} ({dataset.dataset_dir}) on {device} x {run.world}")

    with run.saved_on_interrupt(ema, bn_pass):  # Ctrl-C, SIGTERM: the finished steps are saved, exit code 130
        for step in run.steps():
            batch = next(batches)
            surface = batch["points"].to(device, non_blocking=True)  # (B, P, 3)
            images, view = model_input(batch, cfg.load_feat, device), camera(batch)  # view: (B, 4, 4) or None
            with autocast(args, device):
                pred, coarse = net(images, args.n_points, view, with_coarse=True)  # (B, n_points, 3) at random UV points
            # Refining, the patches' points are held to the surface too (as each stage of Pixel2Mesh), so the
            # refinement starts from a surface and the patches do not drift into whatever it can correct.
            loss = chamfer_to_samples(float32(pred), surface)
            terms = {"chamfer": loss.detach()}
            if args.refine == "pixel":
                coarse_loss = chamfer_to_samples(float32(coarse), surface)
                loss, terms["coarse_chamfer"] = loss + coarse_loss, coarse_loss.detach()
            optimizer.zero_grad(set_to_none=True)
            scaler.scale(loss).backward()
            scaler.step(optimizer)
            scaler.update()
            if ema is not None:
                ema.update_parameters(model)
            run.log(step + 1, loss, terms)  # the loss log every --log_freq steps
            if run.main and due(step + 1, args.vis_freq):  # the triangulated UV grid
                model.eval()  # batch norm: running statistics, as at test time
                with torch.no_grad():
                    verts, faces = model.grid_mesh(model.encode(images[:1], None if view is None else view[:1]), args.n_points)  # (1, V, 3), (F, 3)
                model.train()
                run.picture(batch, ("mesh", (verts[0], faces)), gt_shape(batch, 0, "mesh"), device)
            if run.checkpoint_due(step + 1):  # every --save_freq steps and at the end
                run.checkpoint(step + 1, ema, bn_pass)  # --ema's average, its batch norm statistics, then the file
    return run.finish()


if __name__ == "__main__":
    sys.exit(cli.run(train, get_args_parser().parse_args()))
