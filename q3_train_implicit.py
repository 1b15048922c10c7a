"""Train an implicit occupancy network: image + 3D query points -> occupancy (writeup 3.1).

    python q3_train_implicit.py --id 'q3_implicit' --batch_size 32  --output_dir ./output --max_iter 10000 --num_workers 4 --num_points_to_sample 10000
    python q3_train_implicit.py --id 'q3_implicit_simple' --decoder simple --batch_size 32 --output_dir ./output --max_iter 10000 --num_workers 4 --num_points_to_sample 10000
    python q3_train_implicit.py --id 'q3_implicit_cbn' --decoder cbn --batch_size 32 --output_dir ./output --max_iter 10000 --num_workers 4 --num_points_to_sample 10000

Each step draws --num_points_to_sample query points per chair, half uniformly in the cube [-0.5, 0.5]^3
and half near the surface (cached ground-truth surface points plus Gaussian noise), from a pool of
--query_pool such points per chair made and labelled once (0: fresh ones, labelled every step), and
minimises binary cross entropy, class-balanced by default (--loss balanced: inside and outside queries
carry half the loss each; near-surface noise --surface_sigma 0.01, half the thinnest parts). Labels (--labels auto) come from the exact inside test of the ground-truth
mesh (winding number) where the mesh is closed, as on the embedded dataset, and otherwise from the 32^3
voxels (trilinear interpolation thresholded at 0.5: inside the marching-cubes surface of the voxels).
--decoder pixel (the default) reads at each query a 32^3 feature volume decoded from the image (the voxel
decoder's up-convolutions, trained with an auxiliary loss against the voxels, --voxel_weight) and the image and
the encoder's first feature maps where the view's camera (R, T, K of the batch) projects the query: at equal
training time it beats the voxel decoder at every F1 threshold, most at 0.01-0.02 (RESULTS.md, "Equal training
time, 3.1"). --decoder grid is the same without the pixels (level with the voxel decoder); --decoder simple adds the image feature to a
point embedding before an MLP; --decoder cbn is the ResNet-FC decoder with conditional batch norm of Occupancy
Networks (both trail the voxel decoder by about 11 F1@0.05).
Evaluate with eval_q3.py --model_type occupancy --type vox (any --eval_res).

Writes {output_dir}/{id}/checkpoint_implicit.pth (every --save_freq steps, at the end, and on Ctrl-C),
args.json, loss_implicit.csv, loss_implicit.png and vis/implicit_{step}.png. --load_checkpoint resumes exactly.
"""
import argparse
import sys

import torch

import cli
from cli import InputError, check_at_least
from losses import occupancy_loss, voxel_loss
from model import ModelArgs, build_model, model_input, view_matrix
from occupancy import NEAR_SIGMA, POOL_SIZE, QueryPool, sample_query_points, training_labels
from representations import gt_shape
from training import (RunFolder, adam, add_common_args, autocast, check_common_args, distribute, due,
                      float32, grad_scaler, moving_average, setup, train_loader)


def get_args_parser():
    p = argparse.ArgumentParser(description="Train an image -> occupancy function model (writeup 3.1)")
    p.add_argument("--num_points_to_sample", type=int, default=10000,
                   help="query points per chair per step: half uniform in the cube, half near the surface")
    p.add_argument("--surface_sigma", type=float, default=NEAR_SIGMA,
                   help="standard deviation of the noise added to surface points to make near-surface queries "
                        "(object units, bounding-box diagonal 1); half the thinnest parts (legs, slats 0.02-0.04), "
                        "so most near queries around a thin part are not outside it (0.02 was the old default)")
    p.add_argument("--loss", choices=["balanced", "bce"], default="balanced",
                   help="balanced: BCE with inside and outside queries weighted to half the loss each (about 20 %% "
                        "of the queries are inside); bce: the plain mean, which learns probabilities below 0.5 on thin "
                        "parts whose place the image leaves uncertain, so marching cubes at 0.5 drops them")
    p.add_argument("--labels", choices=["auto", "mesh", "voxels"], default="auto",
                   help="ground-truth occupancy of the queries: the exact inside test of the mesh (mesh; auto where "
                        "the mesh is closed, as on the embedded dataset) or the 32^3 voxels")
    p.add_argument("--decoder", choices=["simple", "cbn", "grid", "pixel"], default="pixel",
                   help="simple: feature added to a point embedding, MLP; cbn: ResNet-FC with conditional batch norm; "
                        "grid: a 32^3 feature volume decoded from the image, read at each query by a small MLP; "
                        "pixel: grid plus the image and early encoder maps where the view's camera projects the query")
    p.add_argument("--voxel_weight", type=float, default=1.0,
                   help="grid decoder: weight of the auxiliary BCE of its volume against the 32^3 voxels (0: none)")
    p.add_argument("--query_pool", type=int, default=POOL_SIZE,
                   help="labelled queries made once per chair (half uniform, half near the surface) that each step "
                        "draws from; 0 makes and labels fresh queries every step (about 0.4 s per step on 2 CPU cores)")
    return add_common_args(p, run_id="q3_implicit", output_dir="./output", batch_size=32)


def train(args):
    check_common_args(args, "implicit")  # before the run folder, the model or any download exists
    check_at_least(args, "num_points_to_sample")
    if args.voxel_weight < 0 or args.query_pool < 0:
        raise InputError("--voxel_weight and --query_pool must not be negative")
    if args.decoder == "pixel" and args.load_feat:
        raise InputError("--decoder pixel samples the images where the camera projects each query; drop --load_feat")
    if not args.surface_sigma > 0:
        raise InputError(f"--surface_sigma must be positive, not {args.surface_sigma}; the default is {NEAR_SIGMA}")
    args.model_type = "occupancy"  # what eval_q3.py checks
    device = setup(args)  # this process's device (under torchrun: its rank's), seeded
    run = RunFolder(args, "implicit", "occupancy BCE")  # checkpoint_implicit.pth, loss_implicit.csv, vis/implicit_*.png

    cfg = ModelArgs.from_flags("occupancy", vars(args))  # what the checkpoint rebuilds the network from
    model = build_model(cfg, args.pretrained).to(device)
    optimizer = adam(model.parameters(), args.lr)
    scaler = grad_scaler(args, device)  # --amp fp16's loss scaling; a pass-through otherwise
    ema = moving_average(model, args.ema)  # --ema: the weights' moving average, which the checkpoints hold
    start_step = run.resume(cfg, model, optimizer, scaler, ema)  # --load_checkpoint
    net = distribute(model, device)  # DDP under torchrun
    dataset, batches = train_loader(args, device, start_step)
    pool = QueryPool(dataset, args.surface_sigma, args.labels, args.query_pool) if args.query_pool else None
    bn_pass = (dataset, lambda batch: model(model_input(batch, cfg.load_feat, device), sample_query_points(
        batch["points"].to(device), args.num_points_to_sample, args.surface_sigma), view_matrix(batch, device)))  # for precise_bn
    run.say(f"training occupancy ({args.decoder} decoder) on {len(dataset)} views of {dataset.describe()} "
            f"({dataset.dataset_dir}) on {device} x {run.world}")

    with run.saved_on_interrupt(ema, bn_pass):  # Ctrl-C, SIGTERM: the finished steps are saved, exit code 130
        for step in run.steps():
            batch = next(batches)
            if pool is not None:
                points, labels, from_mesh = pool.sample(batch["model_index"], args.num_points_to_sample)
                points, labels = points.to(device, non_blocking=True), labels.to(device, non_blocking=True)  # (B, Q, 3), (B, Q)
            else:
                surface = batch["points"].to(device, non_blocking=True)  # (B, P, 3)
                points = sample_query_points(surface, args.num_points_to_sample, args.surface_sigma)  # (B, Q, 3)
                labels, from_mesh = training_labels(batch, points, args.labels, device)  # (B, Q)
            images, view = model_input(batch, cfg.load_feat, device), view_matrix(batch, device)  # view: (B, 4, 4)
            with autocast(args, device):
                # The grid decoder's voxel logits are asked for even at --voxel_weight 0: under DDP every parameter
                # must take part in the loss.
                logits, voxels = net(images, points, view, with_voxels=True)  # (B, Q), (B, 32, 32, 32) or None
            loss, terms = occupancy_loss(float32(logits), labels, balanced=args.loss == "balanced")
            if voxels is not None:
                aux = voxel_loss(float32(voxels), batch["voxels"].to(device, non_blocking=True))
                loss, terms["voxel_bce"] = loss + args.voxel_weight * aux, aux.detach()
            terms["mesh_labels"] = from_mesh / len(labels)  # share of the batch labelled by the mesh
            optimizer.zero_grad(set_to_none=True)
            scaler.scale(loss).backward()
            scaler.step(optimizer)
            scaler.update()
            if ema is not None:
                ema.update_parameters(model)
            run.log(step + 1, loss, terms)  # the loss log every --log_freq steps
            if run.main and due(step + 1, args.vis_freq):  # the surface of the 32^3 grid of occupancies
                model.eval()  # batch norm: running statistics, as at test time
                with torch.no_grad():
                    grid = model.grid_logits(model.encode(images[:1], view[:1]), 32)  # (1, 32, 32, 32)
                model.train()
                run.picture(batch, ("vox", torch.sigmoid(grid[0])), gt_shape(batch, 0, "mesh"), device)
            if run.checkpoint_due(step + 1):  # every --save_freq steps and at the end
                run.checkpoint(step + 1, ema, bn_pass)  # --ema's average, its batch norm statistics, then the file
    return run.finish()


if __name__ == "__main__":
    sys.exit(cli.run(train, get_args_parser().parse_args()))
