"""Is training limited by the model or by data loading? Times train_model.py's step both ways.

    python bench.py --type vox --batch_size 32
    python bench.py --type point --batch_size 32 --num_workers 2
    python bench.py --type point --batch_size 8 --amp bf16

(a) the loader alone: items per second that --num_workers workers deliver, no model;
(b) real batches drawn from the loader (data loading included, as in training), and
(c) one pre-made batch of the same shapes reused every step (no loading at all), also as FLOPs per step.
The ratio (b) / (c) should be close to 1: above 1.10 the loader is the bottleneck; (a) says how many
items per second a faster device (or more of them) would need.
"""
import argparse
import sys
import time

import torch
from torch.utils.data import DataLoader
from torch.utils.flop_counter import FlopCounterMode

import cli
from model import ARCHS, ModelArgs, build_model, model_input
from dataset_location import resolve_dataset_dir
from r2n2_custom import R2N2, EpochBatchSampler, collate_batched_R2N2
from representations import single_view_loss
from runtime import pick_device, seed_everything, speed_flags
from training import adam, autocast, float32, grad_scaler


def train_step(model, optimizer, scaler, batch, args, device):
    """One step of train_model.py's loop, as written there (tests/test_train_eval.py checks that the two agree)."""
    with autocast(args, device):
        pred = model(model_input(batch, args.load_feat, device))
    for key in ("voxels", "points"):
        batch[key] = batch[key].to(device, non_blocking=True)
    loss, _ = single_view_loss(float32(pred), batch, args.type, n_points=args.n_points, w_chamfer=args.w_chamfer,
                               w_smooth=args.w_smooth, balanced=args.vox_loss == "balanced")
    optimizer.zero_grad(set_to_none=True)
    scaler.scale(loss).backward()
    scaler.step(optimizer)
    scaler.update()


def timed_steps(model, optimizer, scaler, batches, args, device, steps):
    """Seconds per training step over `steps` steps (after 3 warm-up steps), batches from an iterator."""
    for i in range(steps + 3):
        if i == 3:
            if device.type == "cuda":
                torch.cuda.synchronize()
            t0 = time.perf_counter()
        train_step(model, optimizer, scaler, next(batches), args, device)
    if device.type == "cuda":
        torch.cuda.synchronize()
    return (time.perf_counter() - t0) / steps


def loader_rate(loader, batch_size, steps):
    """Items per second the loader alone delivers, over `steps` batches after the first (worker start-up)."""
    batches = iter(loader)
    next(batches)
    t0 = time.perf_counter()
    for _ in range(steps):
        next(batches)
    return steps * batch_size / (time.perf_counter() - t0)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=cli.Defaults, usage=cli.USAGE)
    p.add_argument("--type", choices=["vox", "point", "mesh"], default="vox", help="output representation")
    p.add_argument("--batch_size", type=int, default=32, help="images per step")
    p.add_argument("--num_workers", type=int, default=2, help="data loader worker processes")
    p.add_argument("--steps", type=int, default=20, help="timed steps per measurement")
    p.add_argument("--n_points", type=int, default=1000, help="points predicted (point) / sampled per mesh")
    p.add_argument("--ico_level", type=int, default=4, help="ico-sphere level of the mesh decoder")
    p.add_argument("--arch", choices=list(ARCHS), default="resnet18", help="encoder architecture")
    p.add_argument("--pretrained", choices=["auto", "yes", "no"], default="no", help="ImageNet weights (speed is the same)")
    p.add_argument("--load_feat", action="store_true", help="train from precomputed feats.npy instead of images")
    p.add_argument("--lr", type=float, default=4e-4, help="Adam learning rate")
    p.add_argument("--amp", choices=["off", "bf16", "fp16"], default="off", help="autocast of the forward pass")
    cli.add_device_and_dataset_args(p)
    p.add_argument("--seed", type=int, default=0, help="random seed")
    args = p.parse_args()
    cli.check_at_least(args, "batch_size", "steps", "n_points")
    cli.check_at_least(args, "num_workers", "ico_level", minimum=0)
    resolve_dataset_dir(args.dataset_dir, classes=args.classes)  # a wrong dataset is one line, before the model (and any download)
    args.w_chamfer, args.w_smooth, args.vox_loss = 1.0, 0.1, "bce"  # train_model.py's default loss
    device = pick_device(args.device)
    if args.amp == "fp16" and device.type != "cuda":
        raise cli.InputError("--amp fp16 needs CUDA (its GradScaler); on the CPU use --amp bf16")
    seed_everything(args.seed)
    speed_flags(device)  # as in training
    dataset = R2N2("train", args.dataset_dir, return_feats=args.load_feat, classes=args.classes)
    loader = DataLoader(dataset, batch_sampler=EpochBatchSampler(len(dataset), args.batch_size, args.seed),
                        num_workers=args.num_workers, collate_fn=collate_batched_R2N2,
                        pin_memory=device.type == "cuda", persistent_workers=args.num_workers > 0)
    model = build_model(ModelArgs.from_flags(args.type, vars(args)), args.pretrained).to(device).train()
    optimizer = adam(model.parameters(), args.lr)
    scaler = grad_scaler(args, device)

    rate = loader_rate(loader, args.batch_size, args.steps)
    print(f"loader alone, {args.num_workers} workers: {rate:.0f} items/s "
          f"({rate / max(args.num_workers, 1):.0f} per worker)")
    real = iter(loader)
    fixed = next(iter(loader))
    fixed_batches = iter(lambda: dict(fixed), None)  # the same tensors every step
    with FlopCounterMode(display=False) as flops:  # matmuls and convolutions, forward and backward
        train_step(model, optimizer, scaler, next(fixed_batches), args, device)
    t_fixed = timed_steps(model, optimizer, scaler, fixed_batches, args, device, args.steps)
    t_real = timed_steps(model, optimizer, scaler, real, args, device, args.steps)
    print(f"{args.type}, batch {args.batch_size}, amp {args.amp}, {args.num_workers} workers, {device}: "
          f"loader {t_real * 1000:.1f} ms/step, pre-made {t_fixed * 1000:.1f} ms/step, ratio {t_real / t_fixed:.3f}, "
          f"{flops.get_total_flops() / 1e9:.1f} GFLOP/step")


if __name__ == "__main__":
    sys.exit(cli.run(main))
