"""Train a single-view-to-3D model: image -> voxel grid, point cloud or mesh (writeup 2.1-2.3, 2.5).

    python train_model.py --type 'vox' --id 'q2' --batch_size 64 --save_freq 500 --output_dir=./outputs --max_iter 10000 --vis_freq 250 --num_workers 4
    python train_model.py --type 'point' --id 'q2' --batch_size 8 --save_freq 500 --output_dir=./outputs --max_iter 10000 --vis_freq 250 --num_workers 4
    python train_model.py --type 'mesh' --id 'q2' --batch_size 8 --save_freq 500 --output_dir=./outputs --max_iter 10000 --vis_freq 250 --num_workers 4

Writes {output_dir}/{id}/checkpoint_{type}.pth (every --save_freq steps, at the end, and on Ctrl-C),
args.json, loss_{type}.csv, loss_{type}.png and vis/{type}_{step}.png. --load_checkpoint resumes exactly.
"""
import argparse
import os
import signal
import time

import torch
from pytorch3d.ops import sample_points_from_meshes
from torch.utils.data import DataLoader
from tqdm import tqdm

import visualize
from losses import chamfer_loss, smoothness_loss, voxel_loss
from model import SingleViewto3D, model_input
from r2n2_custom import R2N2, EpochBatchSampler, collate_batched_R2N2
from runtime import load_checkpoint, pick_device, restore_rng, save_checkpoint, seed_everything


def add_common_args(p, run_id="q2", output_dir="./outputs", batch_size=8):
    """The flags all three training scripts share (this one, q3_train_implicit.py, q3_train_parametric.py)."""
    p.add_argument("--id", default=run_id, help="run name: outputs go to {output_dir}/{id}/")
    p.add_argument("--output_dir", default=output_dir, help="root folder of runs")
    p.add_argument("--max_iter", type=int, default=10000, help="training steps in total (a resumed run counts on)")
    p.add_argument("--batch_size", type=int, default=batch_size, help="images per step")
    p.add_argument("--lr", type=float, default=4e-4, help="Adam learning rate")
    p.add_argument("--arch", default="resnet18", help="encoder: resnet18 (default), resnet34 or resnet50")
    p.add_argument("--pretrained", choices=["auto", "yes", "no"], default="auto",
                   help="ImageNet weights for the encoder: auto = use them when they can be had")
    p.add_argument("--load_feat", action="store_true", help="train from precomputed feats.npy instead of images")
    p.add_argument("--save_freq", type=int, default=500, help="write a checkpoint every this many steps")
    p.add_argument("--vis_freq", type=int, default=250,
                   help="write an input|prediction|ground-truth picture every this many steps")
    p.add_argument("--log_freq", type=int, default=10, help="append the loss to the log every this many steps")
    p.add_argument("--num_workers", type=int, default=2, help="data loader worker processes")
    p.add_argument("--load_checkpoint", nargs="?", const="auto", default=None,
                   help="resume from this checkpoint (no value: the run's own checkpoint in {output_dir}/{id}/)")
    p.add_argument("--device", default="auto", help="auto (CUDA if available, else CPU), cpu, cuda, ...")
    p.add_argument("--seed", type=int, default=0, help="random seed (model init, data order and random samples)")
    p.add_argument("--dataset_dir", default=None, help="dataset folder (default: see dataset_location.py)")
    return p


def get_args_parser():
    p = argparse.ArgumentParser(description="Train an image -> 3D model", add_help=True)
    p.add_argument("--type", choices=["vox", "point", "mesh"], default="vox", help="output representation")
    p.add_argument("--n_points", type=int, default=1000, help="points predicted (point) / sampled per mesh for chamfer")
    p.add_argument("--w_chamfer", type=float, default=1.0, help="weight of the chamfer loss (point, mesh)")
    p.add_argument("--w_smooth", type=float, default=0.1, help="weight of Laplacian smoothing (mesh)")
    p.add_argument("--ico_level", type=int, default=4, help="subdivision level of the ico-sphere the mesh decoder deforms")
    return add_common_args(p)


def calculate_loss(pred, batch, args):
    """The training loss and its unweighted terms (for the log)."""
    if args.type == "vox":
        loss = voxel_loss(pred, batch["voxels"])
        return loss, {"bce": loss.item()}
    gt = batch["points"]  # (B, P, 3) cached surface samples; a fresh random subset each step
    gt = gt[:, torch.randint(gt.shape[1], (args.n_points,), device=gt.device)]  # (B, n_points, 3)
    if args.type == "point":
        loss = chamfer_loss(pred, gt)
        return args.w_chamfer * loss, {"chamfer": loss.item()}
    chamfer = chamfer_loss(sample_points_from_meshes(pred, args.n_points), gt)
    smooth = smoothness_loss(pred)
    return args.w_chamfer * chamfer + args.w_smooth * smooth, {"chamfer": chamfer.item(), "smooth": smooth.item()}


def gt_shape(batch, i, kind):
    """Ground truth of example i as (kind, shape) for visualize.render_shape."""
    if kind == "vox":
        return "vox", batch["voxels"][i]
    return "mesh", (batch["verts"][i], batch["faces"][i])


def pred_shape(pred, i, kind):
    if kind == "vox":
        return "vox", torch.sigmoid(pred[i].detach())
    if kind == "point":
        return "point", pred[i].detach()
    return "mesh", (pred.verts_list()[i].detach(), pred.faces_list()[i])


def save_on_sigterm():
    """Make a kill (SIGTERM, e.g. from a job scheduler) save a checkpoint as Ctrl-C does; for every training script."""
    def interrupt(signum, frame):
        raise KeyboardInterrupt
    signal.signal(signal.SIGTERM, interrupt)


class RunFolder:
    """{output_dir}/{id}/ of one training run, shared by the three training scripts.

    Holds checkpoint_{name}.pth, args.json, loss_{name}.csv (+ .png) and vis/{name}_{step}.png, so that
    every model resumes, logs, draws and saves the same way; the training loop itself stays in each script.
    """

    def __init__(self, args, name, loss_title):
        self.args, self.name, self.loss_title = args, name, loss_title
        self.dir = os.path.join(args.output_dir, args.id)
        os.makedirs(os.path.join(self.dir, "vis"), exist_ok=True)
        self.ckpt_path = os.path.join(self.dir, f"checkpoint_{name}.pth")
        self.log_path = os.path.join(self.dir, f"loss_{name}.csv")
        self.t_start = time.time()

    def resume(self, model, optimizer, expect):
        """Apply --load_checkpoint (model, optimiser, RNG) and return the step to start from; 0 for a new run."""
        start_step = 0
        if self.args.load_checkpoint:
            path = self.ckpt_path if self.args.load_checkpoint == "auto" else self.args.load_checkpoint
            ckpt = load_checkpoint(path, expect=expect)
            model.load_state_dict(ckpt["model"])
            optimizer.load_state_dict(ckpt["optimizer"])
            start_step = ckpt["step"]
            restore_rng(ckpt)
            print(f"resumed from {path} at step {start_step}")
        if start_step == 0 or not os.path.isfile(self.log_path):
            with open(self.log_path, "w") as f:
                f.write("step,loss,terms,seconds\n")
        return start_step

    def log(self, step, loss, terms):
        with open(self.log_path, "a") as f:
            f.write(f"{step},{loss:.6f},{' '.join(f'{k}={v:.6f}' for k, v in terms.items())},"
                    f"{time.time() - self.t_start:.1f}\n")

    def picture(self, step, batch, pred, gt, device):
        """vis/{name}_{step}.png: input | prediction | ground truth of the batch's first example."""
        visualize.save_prediction_panel(
            os.path.join(self.dir, "vis", f"{self.name}_{step:06d}.png"), batch["images"][0], pred, gt,
            batch["R"][0].to(device), batch["T"][0].to(device), batch["K"][0].to(device),
            title=f"{self.args.id} step {step}, {batch['model_id'][0]} view {batch['view'][0]}")

    def save(self, step, model, optimizer):
        """The checkpoint (atomically) and the loss curve so far."""
        save_checkpoint(self.ckpt_path, model, optimizer, step, self.args)
        rows = [line.split(",") for line in open(self.log_path).read().splitlines()[1:]]
        if rows:
            visualize.save_loss_curve([int(r[0]) for r in rows], [float(r[1]) for r in rows],
                                      os.path.join(self.dir, f"loss_{self.name}.png"), f"{self.args.id}: {self.loss_title}")

    def check_finite(self, loss, step):
        if not torch.isfinite(loss):
            raise SystemExit(f"error: the loss became {loss.item()} at step {step}; lower --lr "
                             f"(the last good checkpoint is {self.ckpt_path})")

    def interrupted(self, model, optimizer, completed):
        """Ctrl-C or SIGTERM: keep every finished step, then exit with the shell's code for SIGINT."""
        print(f"\ninterrupted: saving the checkpoint after {completed} steps")
        self.save(completed, model, optimizer)
        print(f"saved {self.ckpt_path}; resume with --load_checkpoint")
        raise SystemExit(130)

    def finish(self, model, optimizer, start_step):
        self.save(self.args.max_iter, model, optimizer)
        elapsed = time.time() - self.t_start
        steps_run = self.args.max_iter - start_step
        print(f"{steps_run} steps in {elapsed:.0f} s ({steps_run / max(elapsed, 1e-9):.2f} it/s)")
        print(f"checkpoint: {self.ckpt_path}")
        return self.ckpt_path


def train_loader(args, device, start_step):
    """The training split and an endless, seeded batch stream that starts where step `start_step` left off."""
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
    return dataset, iter(loader)


def progress(args, start_step, desc):
    return tqdm(range(start_step, args.max_iter), initial=start_step, total=args.max_iter, desc=desc, dynamic_ncols=True)


def train_model(args):
    save_on_sigterm()
    device = pick_device(args.device)
    seed_everything(args.seed)
    run = RunFolder(args, args.type, f"{args.type} training loss")

    model = SingleViewto3D(args).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
    start_step = run.resume(model, optimizer, expect={"type": args.type, "arch": args.arch, "n_points": args.n_points,
                                                      "ico_level": args.ico_level, "load_feat": args.load_feat})
    dataset, batches = train_loader(args, device, start_step)
    print(f"training {args.type} on {len(dataset)} views of {len(dataset.model_ids)} chairs ({dataset.dataset_dir}) on {device}")

    model.train()
    completed = start_step  # steps whose optimiser update has been applied
    bar = progress(args, start_step, f"train {args.type}")
    try:
        for step in bar:
            batch = next(batches)
            pred = model(model_input(batch, args.load_feat, device))
            for key in ("voxels", "points"):
                batch[key] = batch[key].to(device, non_blocking=True)
            loss, terms = calculate_loss(pred, batch, args)
            run.check_finite(loss, step)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            completed = done = step + 1

            if done % args.log_freq == 0 or done == args.max_iter:
                bar.set_postfix(loss=f"{loss.item():.4f}")
                run.log(done, loss.item(), terms)
            if done % args.vis_freq == 0:
                run.picture(done, batch, pred_shape(pred, 0, args.type), gt_shape(batch, 0, args.type), device)
            if done % args.save_freq == 0 and done != args.max_iter:
                run.save(done, model, optimizer)
    except KeyboardInterrupt:
        bar.close()
        run.interrupted(model, optimizer, completed)
    bar.close()
    return run.finish(model, optimizer, start_step)


if __name__ == "__main__":
    train_model(get_args_parser().parse_args())
