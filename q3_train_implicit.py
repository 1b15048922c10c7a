"""Train an implicit occupancy network: image + 3D query points -> occupancy (writeup 3.1).

    python q3_train_implicit.py --id 'q3_implicit' --batch_size 32  --output_dir ./output --max_iter 10000 --num_workers 4 --num_points_to_sample 10000
    python q3_train_implicit.py --id 'q3_implicit_cbn' --decoder cbn --batch_size 32 --output_dir ./output --max_iter 10000 --num_workers 4 --num_points_to_sample 10000

Each step draws --num_points_to_sample query points per chair, half uniformly in the cube [-0.5, 0.5]^3
and half near the surface (cached ground-truth surface points plus Gaussian noise), labels them from the
ground-truth 32^3 voxels (trilinear interpolation thresholded at 0.5: inside the marching-cubes surface of
the voxels) and minimises binary cross entropy. --decoder simple adds the image feature to a point
embedding before an MLP; --decoder cbn is the ResNet-FC decoder with conditional batch norm of
Occupancy Networks. Evaluate with eval_q3.py --model_type occupancy --type vox (any --eval_res).

Writes {output_dir}/{id}/checkpoint_implicit.pth (every --save_freq steps, at the end, and on Ctrl-C),
args.json, loss_implicit.csv, loss_implicit.png and vis/implicit_{step}.png. --load_checkpoint resumes exactly.
"""
import argparse
import os
import time

import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader
from tqdm import tqdm

import visualize
from model import OccupancyNetwork, model_input
from r2n2_custom import R2N2, EpochBatchSampler, collate_batched_R2N2
from runtime import load_checkpoint, pick_device, restore_rng, save_checkpoint, seed_everything
from train_model import gt_shape, save_on_sigterm

NAME = "implicit"  # file names: checkpoint_implicit.pth, loss_implicit.csv, vis/implicit_*.png


def get_args_parser():
    p = argparse.ArgumentParser(description="Train an image -> occupancy function model (writeup 3.1)")
    p.add_argument("--id", default="q3_implicit", help="run name: outputs go to {output_dir}/{id}/")
    p.add_argument("--output_dir", default="./output", help="root folder of runs")
    p.add_argument("--max_iter", type=int, default=10000, help="training steps in total (a resumed run counts on)")
    p.add_argument("--batch_size", type=int, default=32, help="images per step")
    p.add_argument("--num_points_to_sample", type=int, default=10000,
                   help="query points per chair per step: half uniform in the cube, half near the surface")
    p.add_argument("--surface_sigma", type=float, default=0.02,
                   help="standard deviation of the noise added to surface points to make near-surface queries "
                        "(object units, bounding-box diagonal 1)")
    p.add_argument("--decoder", choices=["simple", "cbn"], default="simple",
                   help="simple: feature added to a point embedding, MLP; cbn: ResNet-FC with conditional batch norm")
    p.add_argument("--lr", type=float, default=4e-4, help="Adam learning rate")
    p.add_argument("--arch", default="resnet18", help="encoder: resnet18 (default), resnet34 or resnet50")
    p.add_argument("--pretrained", choices=["auto", "yes", "no"], default="auto",
                   help="ImageNet weights for the encoder: auto = use them when they can be had")
    p.add_argument("--load_feat", action="store_true", help="train from precomputed feats.npy instead of images")
    p.add_argument("--save_freq", type=int, default=500, help="write a checkpoint every this many steps")
    p.add_argument("--vis_freq", type=int, default=250,
                   help="write an input|prediction|ground-truth picture (the 32^3 grid's surface) every this many steps")
    p.add_argument("--log_freq", type=int, default=10, help="append the loss to the log every this many steps")
    p.add_argument("--num_workers", type=int, default=2, help="data loader worker processes")
    p.add_argument("--load_checkpoint", nargs="?", const="auto", default=None,
                   help="resume from this checkpoint (no value: {output_dir}/{id}/checkpoint_implicit.pth)")
    p.add_argument("--device", default="auto", help="auto (CUDA if available, else CPU), cpu, cuda, ...")
    p.add_argument("--seed", type=int, default=0, help="random seed (model init, query points and data order)")
    p.add_argument("--dataset_dir", default=None, help="dataset folder (default: see dataset_location.py)")
    return p


def sample_query_points(surface, n, sigma=0.02):
    """Training queries: (B, P, 3) ground-truth surface samples -> (B, n, 3) points.

    The first n - n // 2 are uniform in the cube [-0.5, 0.5]^3 (they teach the coarse shape), the
    last n // 2 are random surface samples moved by N(0, sigma^2) noise (they teach the boundary).
    """
    b, device = surface.shape[0], surface.device
    n_near = n // 2
    idx = torch.randint(surface.shape[1], (b, n_near), device=device)  # (B, n_near)
    near = torch.gather(surface, 1, idx[..., None].expand(-1, -1, 3))  # (B, n_near, 3)
    near = near + sigma * torch.randn_like(near)
    uniform = torch.rand(b, n - n_near, 3, device=device) - 0.5  # (B, n - n_near, 3)
    return torch.cat([uniform, near], dim=1)


def occupancy_labels(voxels, points):
    """Ground-truth occupancy of query points: (B, D, D, D) voxels, (B, Q, 3) points -> (B, Q) in {0, 1}.

    The voxels are in the frame of utils_vox: axes (z, y, x), voxel n centred at -0.5 + (n + 0.5) / D.
    grid_sample takes (x, y, z) coordinates in [-1, 1] over (W, H, D) and, with align_corners=False,
    puts the centre of voxel n at -1 + (2n + 1) / D, which is exactly 2 * (world coordinate). The
    trilinearly interpolated occupancy, thresholded at 0.5, is inside the surface that marching cubes
    extracts from the voxels; outside the grid the occupancy is 0 (as the empty padding of voxels_to_meshes).
    """
    grid = (2.0 * points)[:, :, None, None].to(voxels.dtype)  # (B, Q, 1, 1, 3), (x, y, z) in [-1, 1]
    occ = F.grid_sample(voxels[:, None], grid, mode="bilinear", padding_mode="zeros", align_corners=False)  # (B, 1, Q, 1, 1)
    return (occ[:, 0, :, 0, 0] > 0.5).float()  # (B, Q)


def calculate_loss(logits, labels):
    """BCE on the query points, and the terms for the log (bce, and the IoU of the queries' occupancy)."""
    loss = F.binary_cross_entropy_with_logits(logits, labels)
    with torch.no_grad():
        pred = logits > 0
        gt = labels > 0.5
        iou = (pred & gt).sum() / (pred | gt).sum().clamp(min=1)
    return loss, {"bce": loss.item(), "iou": iou.item()}


def train(args):
    args.model_type = "occupancy"  # what eval_q3.py checks and rebuilds
    save_on_sigterm()
    device = pick_device(args.device)
    seed_everything(args.seed)
    run_dir = os.path.join(args.output_dir, args.id)
    os.makedirs(os.path.join(run_dir, "vis"), exist_ok=True)
    ckpt_path = os.path.join(run_dir, f"checkpoint_{NAME}.pth")

    model = OccupancyNetwork(args).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
    start_step = 0
    if args.load_checkpoint:
        path = ckpt_path if args.load_checkpoint == "auto" else args.load_checkpoint
        ckpt = load_checkpoint(path, expect={"model_type": "occupancy", "decoder": args.decoder, "arch": args.arch,
                                             "load_feat": args.load_feat})
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
    print(f"training occupancy ({args.decoder} decoder) on {len(dataset)} views of {len(dataset.model_ids)} chairs "
          f"({dataset.dataset_dir}) on {device}")

    log_path = os.path.join(run_dir, f"loss_{NAME}.csv")
    if start_step == 0 or not os.path.isfile(log_path):
        with open(log_path, "w") as f:
            f.write("step,loss,terms,seconds\n")

    def save(step):
        save_checkpoint(ckpt_path, model, optimizer, step, args)
        rows = [line.split(",") for line in open(log_path).read().splitlines()[1:]]
        if rows:
            visualize.save_loss_curve([int(r[0]) for r in rows], [float(r[1]) for r in rows],
                                      os.path.join(run_dir, f"loss_{NAME}.png"), f"{args.id}: occupancy BCE")

    model.train()
    completed = start_step  # steps whose optimiser update has been applied
    t_start = time.time()
    batches = iter(loader)
    bar = tqdm(range(start_step, args.max_iter), initial=start_step, total=args.max_iter, desc="train implicit",
               dynamic_ncols=True)
    try:
        for step in bar:
            batch = next(batches)
            surface = batch["points"].to(device, non_blocking=True)  # (B, P, 3)
            voxels = batch["voxels"].to(device, non_blocking=True)  # (B, 32, 32, 32)
            points = sample_query_points(surface, args.num_points_to_sample, args.surface_sigma)  # (B, Q, 3)
            labels = occupancy_labels(voxels, points)  # (B, Q)
            feat = model.encode(model_input(batch, args.load_feat, device))  # (B, C)
            logits = model.decoder(points, feat)  # (B, Q)
            loss, terms = calculate_loss(logits, labels)
            if not torch.isfinite(loss):
                raise SystemExit(f"error: the loss became {loss.item()} at step {step}; lower --lr "
                                 f"(the last good checkpoint is {ckpt_path})")
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            completed = done = step + 1

            if done % args.log_freq == 0 or done == args.max_iter:
                bar.set_postfix(loss=f"{loss.item():.4f}", iou=f"{terms['iou']:.3f}")
                with open(log_path, "a") as f:
                    f.write(f"{done},{loss.item():.6f},{' '.join(f'{k}={v:.6f}' for k, v in terms.items())},"
                            f"{time.time() - t_start:.1f}\n")
            if done % args.vis_freq == 0:
                model.eval()  # batch norm of the cbn decoder: running statistics, as at test time
                with torch.no_grad():
                    grid = model.grid_logits(feat[:1].detach(), 32)  # (1, 32, 32, 32)
                model.train()
                visualize.save_prediction_panel(
                    os.path.join(run_dir, "vis", f"{NAME}_{done:06d}.png"), batch["images"][0],
                    ("vox", torch.sigmoid(grid[0])), gt_shape(batch, 0, "mesh"),
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
