"""What the three training scripts share: their common flags, the batch stream, and the run folder.

train_model.py, q3_train_implicit.py and q3_train_parametric.py each keep their own loop (the lines
that make a model differ); everything around it (resume, the loss log, pictures, checkpoints at a
cadence, Ctrl-C and SIGTERM, the final save) is written once here, so every model trains, resumes
and saves the same way.
"""
import os
import signal
import time

import torch
from torch.utils.data import DataLoader
from tqdm import tqdm

import cli
import visualize
from checkpoint import load_checkpoint, restore_rng, save_checkpoint
from dataset_location import resolve_dataset_dir
from model import ARCHS, imagenet_state_dict, no_weights_error
from r2n2_custom import R2N2, EpochBatchSampler, collate_batched_R2N2


def add_common_args(p, run_id="q2", output_dir="./outputs", batch_size=8):
    """The flags all three training scripts share; the defaults are the writeup's (--help shows them)."""
    p.usage, p.formatter_class = cli.USAGE, cli.Defaults  # defaults in --help; a usage error in two short lines
    p.add_argument("--id", default=run_id, help="run name: outputs go to {output_dir}/{id}/")
    p.add_argument("--output_dir", default=output_dir,
                   help="root folder of runs; the default follows the writeup: ./outputs for train_model.py, "
                        "./output for the q3 scripts")
    p.add_argument("--max_iter", type=int, default=10000,
                   help="training steps in total (a resumed run counts on); the length of the run")
    p.add_argument("--batch_size", type=int, default=batch_size, help="images per step")
    p.add_argument("--lr", type=float, default=4e-4, help="Adam learning rate")
    p.add_argument("--arch", choices=list(ARCHS), default="resnet18", help="encoder architecture")
    p.add_argument("--pretrained", choices=["auto", "yes", "no"], default="auto",
                   help="ImageNet weights for the encoder: auto = use them when they can be had (torch hub's cache "
                        "or a quiet download), yes = required, no = random weights (reproduces RESULTS.md)")
    p.add_argument("--load_feat", action="store_true", help="train from precomputed feats.npy instead of images")
    p.add_argument("--save_freq", type=int, default=500, help="write a checkpoint every this many steps (0: only at the end)")
    p.add_argument("--vis_freq", type=int, default=250,
                   help="write an input|prediction|ground-truth picture every this many steps (0: none)")
    p.add_argument("--log_freq", type=int, default=10, help="append the loss to the log every this many steps")
    p.add_argument("--num_workers", type=int, default=2, help="data loader worker processes (0: load in the main process)")
    p.add_argument("--load_checkpoint", nargs="?", const="auto", default=None,
                   help="resume from this checkpoint (the flag alone: the run's own checkpoint in {output_dir}/{id}/)")
    p.add_argument("--device", default="auto", help="auto (CUDA if available, else CPU), cpu, cuda, ...")
    p.add_argument("--seed", type=int, default=0, help="random seed (model init, data order and random samples)")
    p.add_argument("--dataset_dir", default=None,
                   help="dataset folder; when not given: $R2N2_DATASET_DIR, then dataset_location.py, "
                        "then the embedded chairs in data/r2n2_synth")
    return p


def check_positive(args, *flags, minimum=1):
    """One line, before anything is created, for an integer flag below `minimum`."""
    for flag in flags:
        value = getattr(args, flag)
        if value is not None and value < minimum:
            raise SystemExit(f"error: --{flag} must be at least {minimum}, not {value}; pass --{flag} {minimum} or more")


def check_common_args(args, name):
    """Validate the common flags before the run folder, the model or any download exists: the numbers, the
    checkpoint to resume, then the dataset folder (resolved here, so a wrong one is one line and no files).
    `name` is the run's checkpoint name (checkpoint_{name}.pth)."""
    check_positive(args, "max_iter", "batch_size")
    check_positive(args, "num_workers", "save_freq", "vis_freq", "log_freq", minimum=0)
    if not args.lr > 0:
        raise SystemExit(f"error: --lr must be positive, not {args.lr}; the writeup uses --lr 4e-4")
    if args.load_checkpoint:
        path = (os.path.join(args.output_dir, args.id, f"checkpoint_{name}.pth") if args.load_checkpoint == "auto"
                else args.load_checkpoint)
        if not os.path.isfile(path):
            raise SystemExit(f"error: --load_checkpoint: {path} does not exist; pass the path a training run printed, "
                             "or drop --load_checkpoint to start a new run")
    resolve_dataset_dir(args.dataset_dir)
    if args.pretrained == "yes" and not args.load_feat:  # the weights are fetched now (then read from the cache)
        state, why = imagenet_state_dict(args.arch)
        if state is None:
            raise SystemExit(no_weights_error(args.arch, why))


def eta_line(seconds_per_step, remaining, device_type, min_seconds=300):
    """The one line a long run prints after its first steps (None when the rest takes less than `min_seconds`)."""
    total = seconds_per_step * remaining
    if total < min_seconds:
        return None
    if total < 5400:
        length = f"{total / 60:.0f} min"
    else:
        length = f"{total / 3600:.1f} h"
    return f"at {seconds_per_step:.2g} s/step the remaining {remaining} steps take about {length} on {device_type}; --max_iter sets the length"


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


def _raise_interrupt(signum, frame):
    raise KeyboardInterrupt


class _EtaOnce:
    """After the loop's first 10 steps (or 30 s), one tqdm.write line with the time the rest takes (eta_line)."""

    def __init__(self, run, steps=10, seconds=30.0):
        self.run, self.steps, self.seconds = run, steps, seconds
        self.t0, self.first, self.done = time.time(), run.completed, False

    def check(self):
        if self.done:
            return
        ran, elapsed = self.run.completed - self.first, time.time() - self.t0
        if ran >= self.steps or (ran > 0 and elapsed >= self.seconds):
            self.done = True
            model = self.run._loop[0]
            device = next(model.parameters()).device.type
            line = eta_line(elapsed / ran, self.run.args.max_iter - self.run.completed, device)
            if line:
                tqdm.write(line)


class RunFolder:
    """{output_dir}/{id}/ of one training run: checkpoint_{name}.pth, args.json, loss_{name}.csv (+ .png)
    and vis/{name}_{step}.png.

    A script's loop reads:

        with run.loop(model, optimizer, start_step) as steps:
            for step in steps:
                ...forward, loss, backward, optimizer.step()...
                run.step_done(loss, terms)        # the loss log and checkpoints at their cadence
                if run.due(args.vis_freq):
                    run.picture(...)
        return run.finish(model, optimizer, start_step)

    Ctrl-C or SIGTERM inside the loop saves the finished steps once and exits with code 130.
    """

    def __init__(self, args, name, loss_title):
        self.args, self.name, self.loss_title = args, name, loss_title
        self.dir = os.path.join(args.output_dir, args.id)
        os.makedirs(os.path.join(self.dir, "vis"), exist_ok=True)
        self.ckpt_path = os.path.join(self.dir, f"checkpoint_{name}.pth")
        self.log_path = os.path.join(self.dir, f"loss_{name}.csv")
        self.t_start = time.time()
        self.completed = 0  # steps whose optimiser update has been applied
        self.bar = None
        self._loop = None

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

    def loop(self, model, optimizer, start_step):
        """Context manager yielding the steps start_step .. max_iter - 1 under a progress bar (see the class)."""
        self._loop = (model, optimizer)
        self.completed = start_step
        return self

    def __enter__(self):
        signal.signal(signal.SIGTERM, _raise_interrupt)  # a scheduler's kill saves as Ctrl-C does
        model, _ = self._loop
        model.train()
        self.bar = tqdm(range(self.completed, self.args.max_iter), initial=self.completed, total=self.args.max_iter,
                        desc=f"train {self.name}", dynamic_ncols=True)
        return self._steps()

    def _steps(self):
        eta = _EtaOnce(self)
        for step in self.bar:
            yield step
            eta.check()
            # After the whole step (the script's picture included), so the RNG state saved is the one
            # an uninterrupted run has at this point and a resumed run continues identically.
            if self.due(self.args.save_freq) and self.completed != self.args.max_iter:
                self.save(self.completed, *self._loop)

    def __exit__(self, exc_type, exc, tb):
        self.bar.close()
        if exc_type is KeyboardInterrupt:
            model, optimizer = self._loop
            print(f"\ninterrupted: saving the checkpoint after {self.completed} steps")
            self.save(self.completed, model, optimizer)
            print(f"saved {self.ckpt_path}; resume with --load_checkpoint")
            raise SystemExit(130)
        return False

    def due(self, freq):
        """True when the step just finished is a multiple of `freq` (0 or less: never)."""
        return freq > 0 and self.completed % freq == 0

    def step_done(self, loss, terms):
        """After an optimiser step: count it; at --log_freq (and before a checkpoint) log the loss and check it
        (the checkpoint itself is written once the step's body is over).

        The loss and its terms stay tensors until then, so a GPU step never waits for the host.
        """
        self.completed += 1
        done = self.completed
        if self.due(self.args.log_freq) or self.due(self.args.save_freq) or done == self.args.max_iter:
            value = loss.item()
            if value != value or abs(value) == float("inf"):
                raise SystemExit(f"error: the loss became {value} by step {done}; lower --lr "
                                 f"(the last good checkpoint is {self.ckpt_path})")
            terms = {k: float(v) for k, v in terms.items()}
            self.bar.set_postfix(loss=f"{value:.4f}", **{k: f"{v:.4g}" for k, v in terms.items()})
            with open(self.log_path, "a") as f:
                f.write(f"{done},{value:.6f},{' '.join(f'{k}={v:.6f}' for k, v in terms.items())},"
                        f"{time.time() - self.t_start:.1f}\n")

    def picture(self, batch, pred, gt, device):
        """vis/{name}_{step}.png: input | prediction | ground truth of the batch's first example."""
        step = self.completed
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

    def finish(self, model, optimizer, start_step):
        """The final checkpoint and a one-line speed summary; returns the checkpoint's path."""
        self.save(self.args.max_iter, model, optimizer)
        elapsed = time.time() - self.t_start
        steps_run = self.args.max_iter - start_step
        print(f"{steps_run} steps in {elapsed:.0f} s ({steps_run / max(elapsed, 1e-9):.2f} it/s)")
        print(f"checkpoint: {self.ckpt_path}")
        return self.ckpt_path
