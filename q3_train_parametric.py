"""Train an AtlasNet-style parametric network: image + 2D points of a square -> 3D surface points (writeup 3.2).

    python q3_train_parametric.py --type 'point' --model_type parametric --id 'q3_parametric' --batch_size 32 --save_freq 500 --output_dir ./output --max_iter 10000 --num_workers 4
    python q3_train_parametric.py --type 'point' --model_type parametric --id 'q3_parametric_10' --n_patches 10 --batch_size 32 --save_freq 500 --output_dir ./output --max_iter 10000 --num_workers 4

Each of --n_patches patches (1 = the writeup's single fold) has its own MLP, shared by all its points,
that maps a point (u, v) of the unit square plus the image feature to a 3D point. Each step draws
--n_points random UV points per chair (split over the patches) and minimises the chamfer loss of
losses.py against as many ground-truth surface points. At test time a regular UV grid is decoded
instead, and its triangulation is a mesh: evaluate with eval_q3.py --model_type parametric --type point
(the grid's points) or --type mesh (points sampled on the triangulated grid).

Writes {output_dir}/{id}/checkpoint_parametric.pth (every --save_freq steps, at the end, and on Ctrl-C),
args.json, loss_parametric.csv, loss_parametric.png and vis/parametric_{step}.png (the triangulated grid).
--load_checkpoint resumes exactly.
"""
import argparse
import os
import time

import torch
from torch.utils.data import DataLoader
from tqdm import tqdm

import visualize
from losses import chamfer_loss
from model import ParametricNetwork, model_input
from r2n2_custom import R2N2, EpochBatchSampler, collate_batched_R2N2
from runtime import load_checkpoint, pick_device, restore_rng, save_checkpoint, seed_everything
from train_model import gt_shape, save_on_sigterm

NAME = "parametric"  # file names: checkpoint_parametric.pth, loss_parametric.csv, vis/parametric_*.png


def get_args_parser():
    p = argparse.ArgumentParser(description="Train an image -> parametric surface model (writeup 3.2)")
    p.add_argument("--type", choices=["point"], default="point",
                   help="output representation while training (points; the writeup passes 'point')")
    p.add_argument("--model_type", choices=["parametric"], default="parametric",
                   help="model family (the writeup passes 'parametric'; eval_q3.py checks it)")
    p.add_argument("--id", default="q3_parametric", help="run name: outputs go to {output_dir}/{id}/")
    p.add_argument("--output_dir", default="./output", help="root folder of runs")
    p.add_argument("--max_iter", type=int, default=10000, help="training steps in total (a resumed run counts on)")
    p.add_argument("--batch_size", type=int, default=32, help="images per step")
    p.add_argument("--n_points", type=int, default=1000,
                   help="random UV points decoded per chair per step (and ground-truth points for chamfer); "
                        "also the default point count of eval_q3.py's regular grid")
    p.add_argument("--n_patches", type=int, default=1, help="number of square patches, each with its own MLP")
    p.add_argument("--lr", type=float, default=4e-4, help="Adam learning rate")
    p.add_argument("--arch", default="resnet18", help="encoder: resnet18 (default), resnet34 or resnet50")
    p.add_argument("--pretrained", choices=["auto", "yes", "no"], default="auto",
                   help="ImageNet weights for the encoder: auto = use them when they can be had")
    p.add_argument("--load_feat", action="store_true", help="train from precomputed feats.npy instead of images")
    p.add_argument("--save_freq", type=int, default=500, help="write a checkpoint every this many steps")
    p.add_argument("--vis_freq", type=int, default=250,
                   help="write an input|prediction|ground-truth picture (the triangulated UV grid) every this many steps")
    p.add_argument("--log_freq", type=int, default=10, help="append the loss to the log every this many steps")
    p.add_argument("--num_workers", type=int, default=2, help="data loader worker processes")
    p.add_argument("--load_checkpoint", nargs="?", const="auto", default=None,
                   help="resume from this checkpoint (no value: {output_dir}/{id}/checkpoint_parametric.pth)")
    p.add_argument("--device", default="auto", help="auto (CUDA if available, else CPU), cpu, cuda, ...")
    p.add_argument("--seed", type=int, default=0, help="random seed (model init, UV samples and data order)")
    p.add_argument("--dataset_dir", default=None, help="dataset folder (default: see dataset_location.py)")
    return p


def calculate_loss(pred, surface):
    """Chamfer loss of (B, n, 3) predicted points against n random points of the (B, P, 3) ground-truth samples."""
    gt = surface[:, torch.randint(surface.shape[1], (pred.shape[1],), device=surface.device)]  # (B, n, 3)
    loss = chamfer_loss(pred, gt)
    return loss, {"chamfer": loss.item()}


def train(args):
    if args.n_patches < 1 or args.n_points < args.n_patches:
        raise SystemExit(f"error: need 1 <= --n_patches <= --n_points, got --n_patches {args.n_patches} "
                         f"--n_points {args.n_points}")
    save_on_sigterm()
    device = pick_device(args.device)
    seed_everything(args.seed)
    run_dir = os.path.join(args.output_dir, args.id)
    os.makedirs(os.path.join(run_dir, "vis"), exist_ok=True)
    ckpt_path = os.path.join(run_dir, f"checkpoint_{NAME}.pth")

    model = ParametricNetwork(args).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
    start_step = 0
    if args.load_checkpoint:
        path = ckpt_path if args.load_checkpoint == "auto" else args.load_checkpoint
        ckpt = load_checkpoint(path, expect={"model_type": "parametric", "n_patches": args.n_patches,
                                             "arch": args.arch, "load_feat": args.load_feat})
        model.load_state_dict(ckpt["model"])
        optimizer.load_state_dict(ckpt["optimizer"])
        start_step = ckpt["step"]
        restore_rng(ckpt)
        print(f"resumed from {path} at step {start_step}")

    dataset = R2N2("train", args.dataset_dir, return_feats=args.load_feat)
    loader = DataLoader(
        dataset,
        batch_sampler=EpochBatchSampler(len(dataset), args.batch_size, args.seed, start_step),
        num_workers=args.num_workers,
        collate_fn=collate_batched_R2N2,
        pin_memory=device.type == "cuda",
        persistent_workers=args.num_workers > 0,
        generator=torch.Generator().manual_seed(args.seed),  # leaves the global RNG to the training step
    )
    print(f"training parametric ({args.n_patches} patch{'es' if args.n_patches > 1 else ''}) on {len(dataset)} views "
          f"of {len(dataset.model_ids)} chairs ({dataset.dataset_dir}) on {device}")

    log_path = os.path.join(run_dir, f"loss_{NAME}.csv")
    if start_step == 0 or not os.path.isfile(log_path):
        with open(log_path, "w") as f:
            f.write("step,loss,terms,seconds\n")

    def save(step):
        save_checkpoint(ckpt_path, model, optimizer, step, args)
        rows = [line.split(",") for line in open(log_path).read().splitlines()[1:]]
        if rows:
            visualize.save_loss_curve([int(r[0]) for r in rows], [float(r[1]) for r in rows],
                                      os.path.join(run_dir, f"loss_{NAME}.png"), f"{args.id}: parametric chamfer")

    model.train()
    completed = start_step  # steps whose optimiser update has been applied
    t_start = time.time()
    batches = iter(loader)
    bar = tqdm(range(start_step, args.max_iter), initial=start_step, total=args.max_iter, desc="train parametric",
               dynamic_ncols=True)
    try:
        for step in bar:
            batch = next(batches)
            surface = batch["points"].to(device, non_blocking=True)  # (B, P, 3)
            feat = model.encode(model_input(batch, args.load_feat, device))  # (B, C)
            pred = model.sample(feat, args.n_points)  # (B, n_points, 3)
            loss, terms = calculate_loss(pred, surface)
            if not torch.isfinite(loss):
                raise SystemExit(f"error: the loss became {loss.item()} at step {step}; lower --lr "
                                 f"(the last good checkpoint is {ckpt_path})")
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            completed = done = step + 1

            if done % args.log_freq == 0 or done == args.max_iter:
                bar.set_postfix(loss=f"{loss.item():.5f}")
                with open(log_path, "a") as f:
                    f.write(f"{done},{loss.item():.6f},{' '.join(f'{k}={v:.6f}' for k, v in terms.items())},"
                            f"{time.time() - t_start:.1f}\n")
            if done % args.vis_freq == 0:
                with torch.no_grad():
                    verts, faces = model.grid_mesh(feat[:1].detach(), args.n_points)  # (1, V, 3), (F, 3)
                visualize.save_prediction_panel(
                    os.path.join(run_dir, "vis", f"{NAME}_{done:06d}.png"), batch["images"][0],
                    ("mesh", (verts[0], faces)), gt_shape(batch, 0, "mesh"),
                    batch["R"][0].to(device), batch["T"][0].to(device), batch["K"][0].to(device),
                    title=f"{args.id} step {done}, {batch['model_id'][0]} view {batch['view'][0]}")
            if done % args.save_freq == 0 and done != args.max_iter:
                save(done)
    except KeyboardInterrupt:
        bar.close()
        print(f"\ninterrupted: saving the checkpoint after {completed} steps")
        save(completed)
        print(f"saved {ckpt_path}; resume with --load_checkpoint")
        raise SystemExit(130)
    bar.close()
    save(args.max_iter)
    elapsed = time.time() - t_start
    steps_run = args.max_iter - start_step
    print(f"{steps_run} steps in {elapsed:.0f} s ({steps_run / max(elapsed, 1e-9):.2f} it/s)")
    print(f"checkpoint: {ckpt_path}")
    return ckpt_path


if __name__ == "__main__":
    train(get_args_parser().parse_args())
