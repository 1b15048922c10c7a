"""What the three training scripts share: their common flags, the process setup (device, DDP, AMP), the
batch stream, and the run folder.

train_model.py, q3_train_implicit.py and q3_train_parametric.py each write their whole loop: forward, loss,
backward, step, the moving average, the log line, pictures and the periodic checkpoint (precise batch norm, the
average swapped in, the file). What they share is small functions that loop calls: resume, the loss log, the
batch norm pass, the save, Ctrl-C and SIGTERM (a `with` around the loop), and under torchrun the process group,
so every model trains, resumes, saves and scales the same way.

Under `torchrun --nproc_per_node N script.py ...` each process trains a DistributedDataParallel
copy of the model on its own device (gloo on CPU, nccl on CUDA) and its own 1/N of every batch;
--batch_size stays the images per step in total. Plain `python script.py` makes no process group.

TensorBoard (--tensorboard on, the default): RunFolder writes {output_dir}/{id}/tensorboard/{kind}/ (vox, point,
mesh, implicit, parametric: one run each). At the loss log's steps (--log_freq, each checkpoint, the end) it
logs `loss`, `loss/<term>`, `lr` and `step_time_s` (wall-clock seconds per step since the previous logged step),
and every --vis_freq picture as the image `prediction`. Only rank 0 writes; a resumed run replaces the steps after
its checkpoint; --tensorboard off writes no files and does not import TensorBoard.

Precise BN and the moving average: every checkpoint (of all five models) carries batch norm statistics recomputed
at its own weights (BN_IMAGES, --bn_images; measured effect in RESULTS.md, "Precise batch norm"). With --ema DECAY
every checkpoint holds the averaged weights as its model, with batch norm statistics recomputed at the averaged
weights, so the evaluators, gradcam.py and the report read it unchanged; the raw weights sit beside it, and
--load_checkpoint goes on from them exactly.

Under torchrun: on CUDA, batch norm becomes SyncBatchNorm (N x B/N computes what 1 x B does); PyTorch's
SyncBatchNorm is GPU-only, so a multi-process CPU run normalises each process's share on its own. Ctrl-C or SIGTERM
saves once and every process exits with code 130; a process that crashes takes the job down with its error. At the
end every process leaves right after the final checkpoint and a barrier, skipping the interpreter's teardown (see
the comment in RunFolder's finish: PyTorch issue 56297). Resume is bitwise on the CPU with the same process and
thread counts; on CUDA the same batches and random draws but not bitwise (cuDNN autotuning, atomic adds) unless
--deterministic; with another process count, the same batches up to float summation order.
"""
import contextlib
import datetime
import importlib.util
import math
import os
import signal
import sys
import time
import warnings

import numpy as np
import torch
import torch.distributed as dist
from PIL import Image
from pytorch3d.structures import Meshes
from torch.nn.parallel import DistributedDataParallel
from torch.optim.swa_utils import AveragedModel
from torch.utils.data import DataLoader
from tqdm import tqdm

import cli
import visualize
from checkpoint import check_resumable, load_checkpoint, restore_rng, save_checkpoint
from cli import InputError, check_at_least
from dataset_location import resolve_dataset_dir
from imagenet import encoder_weights
from model import ARCHS
from r2n2_custom import R2N2, EpochBatchSampler, class_weights, collate_batched_R2N2
from runtime import pick_device, seed_everything, speed_flags

# How long a collective waits for a silent rank before the job fails instead of hanging. A rank that
# crashes brings the job down at once (torchrun stops the others); this is for a rank that stalls. It
# must exceed the longest legitimate wait: rank 0 writing a checkpoint and picture between two steps.
# (Building a split's cache is waited for on a file lock, outside any collective: train_loader.)
DIST_TIMEOUT = datetime.timedelta(minutes=30)
AMP_DTYPES = {"bf16": torch.bfloat16, "fp16": torch.float16}
# Batch norm's test-time statistics come from this many training images (--bn_images), recomputed at the
# weights of each checkpoint (Precise BN; Wu and Johnson, "Rethinking 'Batch' in BatchNorm", 2021). Why: the
# running averages (momentum 0.1, about the last 10 steps) trail a network whose weights still move fast, so a
# checkpoint normalised with them is not the network that was trained. Measured on the embedded chairs (val,
# avg F1@0.05): a vox model after 400 steps scored 18.1 with its running averages and 46.9 with recomputed
# statistics, 28.4 vs 58.1 after 800 steps, and its val curve stopped jumping between 20 and 60; a point model
# 63.7 vs 71.9 after 400 steps, 76.3 vs 76.6 after 1000 (the averages catch up once the weights settle).
BN_IMAGES = 512


def ema_update(decay):
    """The multi_avg_fn of torch.optim.swa_utils.AveragedModel for an exponential moving average of the weights
    with a warm-up: after n updates the decay is min(decay, (1 + n) / (10 + n)), so early on the average spans
    about the last n/9 steps instead of clinging to the random start (the schedule of TF's and timm's EMA).
    The decay stays a tensor: a GPU step does not wait for the host."""
    def update(ema_params, params, n_averaged):
        d = ((1 + n_averaged) / (10 + n_averaged)).clamp(max=decay).to(ema_params[0].dtype)
        torch._foreach_mul_(ema_params, d)
        torch._foreach_add_(ema_params, torch._foreach_mul(params, 1 - d))
    return update


def add_common_args(p, run_id="q2", output_dir="./outputs", batch_size=8):
    """The flags all three training scripts share; the defaults are the writeup's (--help shows them)."""
    p.usage, p.formatter_class = cli.USAGE, cli.Defaults  # defaults in --help; a usage error in two short lines
    p.add_argument("--id", default=run_id, help="run name: outputs go to {output_dir}/{id}/")
    p.add_argument("--output_dir", default=output_dir,
                   help="root folder of runs; the default follows the writeup: ./outputs for train_model.py, "
                        "./output for the q3 scripts")
    p.add_argument("--max_iter", type=int, default=10000,
                   help="training steps in total (a resumed run counts on); the length of the run")
    p.add_argument("--batch_size", type=int, default=batch_size,
                   help="images per step in total; under torchrun split evenly over the processes")
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
    p.add_argument("--tensorboard", choices=["on", "off"], default="on",
                   help="also log the loss, its terms, the learning rate, the seconds per step (at the loss log's steps) "
                        "and the pictures for TensorBoard, in {output_dir}/{id}/tensorboard/{vox,point,mesh,implicit,"
                        "parametric}/ (rank 0; view with tensorboard --logdir {output_dir}); off: no TensorBoard files")
    p.add_argument("--num_workers", type=int, default=2, help="data loader worker processes (0: load in the main process)")
    p.add_argument("--load_checkpoint", nargs="?", const="auto", default=None,
                   help="resume from this checkpoint (the flag alone: the run's own checkpoint in {output_dir}/{id}/)")
    cli.add_device_and_dataset_args(p)
    p.add_argument("--class_balanced", action="store_true",
                   help="with several --classes: draw every class equally often (each epoch a seeded draw with "
                        "replacement, weighted by 1 / the class's views), rather than in proportion to its size")
    p.add_argument("--seed", type=int, default=0, help="random seed (model init, data order and random samples)")
    p.add_argument("--bn_images", type=int, default=BN_IMAGES,
                   help="training images over which every checkpoint's batch norm statistics are recomputed at its "
                        "weights (precise BN); 0 keeps the running averages of the training steps, which trail the weights")
    p.add_argument("--ema", type=float, default=0.0,
                   help="decay of an exponential moving average of the weights, which the checkpoint holds as its model "
                        "(what the evaluators read; training goes on from the raw weights); 0: off. Its warm-up makes it "
                        "average about the last 11 %% of the steps until min(decay, (1 + n) / (10 + n)) reaches the decay")
    p.add_argument("--amp", choices=["off", "bf16", "fp16"], default="off",
                   help="autocast the forward pass to bfloat16 (CPU or CUDA) or float16 (CUDA, with a GradScaler); "
                        "the losses stay float32")
    p.add_argument("--deterministic", action="store_true",
                   help="deterministic kernels and no cuDNN autotuning, so a CUDA run repeats bitwise (slower)")
    return p


def rank_world():
    """(rank, number of processes) of this run: (0, 1) without a process group."""
    return (dist.get_rank(), dist.get_world_size()) if dist.is_initialized() else (0, 1)


def setup(args):
    """The device of this process, after the process group (under torchrun), seeding and backend flags.

    torchrun sets WORLD_SIZE, RANK and LOCAL_RANK; with more than one process, process LOCAL_RANK takes
    cuda:LOCAL_RANK (--device auto or cuda) or the CPU, and joins the group over nccl or gloo. Every
    process is seeded alike: the model starts the same everywhere (DDP also broadcasts rank 0's), and
    the per-step random draws (chamfer samples, UV points, query points) repeat on every rank.
    """
    world, local_rank = int(os.environ.get("WORLD_SIZE", 1)), int(os.environ.get("LOCAL_RANK", 0))
    if world > 1 and args.device.startswith("cuda:"):
        raise InputError(f"under torchrun each process uses cuda:LOCAL_RANK; pass --device cuda or auto, "
                         f"not {args.device} (choose the cards with CUDA_VISIBLE_DEVICES)")
    device = pick_device(args.device, local_rank)
    if args.amp == "fp16" and device.type != "cuda":
        raise InputError("--amp fp16 needs CUDA (its GradScaler); on the CPU use --amp bf16")
    if device.type == "cuda":
        torch.cuda.set_device(device)  # the current device: nccl, the CUDA RNG state of checkpoints
    if world > 1:
        if args.batch_size % world:
            raise InputError(f"--batch_size {args.batch_size} (images per step in total) does not split "
                             f"evenly over {world} processes; pass a multiple of {world}")
        dist.init_process_group("nccl" if device.type == "cuda" else "gloo", timeout=DIST_TIMEOUT)
    seed_everything(args.seed)
    speed_flags(device, args.deterministic)
    return device


def distribute(model, device):
    """The network the loop calls: DDP around `model` under torchrun (gradients averaged over the
    ranks during backward), `model` itself otherwise. Keep `model` for saving and pictures.

    On CUDA its batch norm layers become SyncBatchNorm, so statistics are over the global batch and
    N processes x B/N images compute what one process x B images does (the writeup's batch sizes keep
    their meaning). PyTorch's SyncBatchNorm runs on GPUs only: a CPU (gloo) run normalises each rank's
    share on its own, which changes the numbers slightly, not the method.
    """
    if not dist.is_initialized():
        return model
    # A 1x1 convolution's weight gradient comes back with other strides along its size-1 dimensions than the
    # bucket's view: the same memory layout, and DDP's warning about it is spurious (PyTorch issue 47163).
    warnings.filterwarnings("ignore", message=r"(?s)Grad strides do not match bucket view strides.*"
                                              r"grad\.sizes\(\) = \[\d+, \d+, 1, 1\]")
    if device.type == "cuda":
        model = torch.nn.SyncBatchNorm.convert_sync_batchnorm(model)  # in place; same parameters and state_dict keys
    return DistributedDataParallel(model, device_ids=[device.index] if device.type == "cuda" else None,
                                   gradient_as_bucket_view=True)


def autocast(args, device):
    """The context of the forward pass: bfloat16 / float16 autocast with --amp, a no-op without."""
    return torch.autocast(device.type, dtype=AMP_DTYPES.get(args.amp), enabled=args.amp != "off")


def adam(params, lr):
    """Adam as every training script uses it: the fused kernel (one pass over each parameter instead of a dozen
    elementwise ops), which on 2 CPU cores takes the occupancy network's update from 38 to 12 ms a step. The
    weights are the default loop's but for the last bit of a few (tests/test_train_eval.py), so a run is not
    bitwise the one before this change."""
    return torch.optim.Adam(params, lr=lr, fused=True)


def grad_scaler(args, device):
    """Loss scaling for --amp fp16 (float16 gradients underflow without it); a pass-through otherwise,
    so the loop always reads scaler.scale(loss).backward(); scaler.step(optimizer); scaler.update()."""
    return torch.amp.GradScaler(device.type, enabled=args.amp == "fp16")


def float32(pred):
    """A prediction made under autocast, in float32 for the loss: the chamfer's squared knn distances
    and the BCE with logits lose digits in 16 bits. A tensor or a Meshes (its vertices)."""
    if isinstance(pred, Meshes):
        return pred if pred.verts_padded().dtype == torch.float32 else pred.update_padded(pred.verts_padded().float())
    return pred.float()


def check_common_args(args, name):
    """Validate the common flags before the run folder, the model or any download exists: the numbers, the
    checkpoint to resume, then the dataset folder (resolved here, so a wrong one is one line and no files).
    `name` is the run's checkpoint name (checkpoint_{name}.pth)."""
    check_at_least(args, "max_iter", "batch_size")
    check_at_least(args, "num_workers", "save_freq", "vis_freq", "log_freq", "bn_images", minimum=0)
    if not args.lr > 0:
        raise InputError(f"--lr must be positive, not {args.lr}; the writeup uses --lr 4e-4")
    if not 0 <= args.ema < 1:
        raise InputError(f"--ema must be a decay in [0, 1), not {args.ema}; e.g. --ema 0.999, or 0 for none")
    if args.load_checkpoint:
        path = (os.path.join(args.output_dir, args.id, f"checkpoint_{name}.pth") if args.load_checkpoint == "auto"
                else args.load_checkpoint)
        if not os.path.isfile(path):
            raise InputError(f"--load_checkpoint: {path} does not exist; pass the path a training run printed, "
                             "or drop --load_checkpoint to start a new run")
    if args.tensorboard == "on" and importlib.util.find_spec("tensorboard") is None:  # found, not imported
        raise InputError("--tensorboard on needs the tensorboard package (pip install -r requirements.txt); "
                         "or pass --tensorboard off")
    resolve_dataset_dir(args.dataset_dir, classes=args.classes)
    if args.pretrained == "yes" and not args.load_feat:  # the weights are fetched now (then read from the cache)
        encoder_weights(args.arch, "yes")


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
    """The training split and an endless, seeded batch stream that starts where step `start_step` left off
    (under torchrun, this process's share of every global batch)."""
    rank, world = rank_world()
    # Every rank opens the split: the first to come builds its cache (the first build of the real train split
    # takes far longer than DIST_TIMEOUT) while the others wait on the cache's file lock, in no collective.
    dataset = R2N2("train", args.dataset_dir, return_feats=args.load_feat, classes=args.classes)
    loader = DataLoader(
        dataset,
        batch_sampler=EpochBatchSampler(len(dataset), args.batch_size, args.seed, start_step, rank, world,
                                        class_weights(dataset) if args.class_balanced else None),
        num_workers=args.num_workers,
        collate_fn=collate_batched_R2N2,
        pin_memory=device.type == "cuda",
        persistent_workers=args.num_workers > 0,
        generator=torch.Generator().manual_seed(args.seed),  # leaves the global RNG to the training step
    )
    return dataset, iter(loader)


def due(step, freq):
    """True when `step` (steps done) is a multiple of `freq` (0 or less: never)."""
    return freq > 0 and step % freq == 0


def moving_average(model, decay):
    """--ema: an AveragedModel of `model`'s weights with ema_update's warm-up, or None for decay 0."""
    return AveragedModel(model, multi_avg_fn=ema_update(decay)) if decay else None


@contextlib.contextmanager
def averaged_weights(model, ema):
    """With --ema, the moving average's weights in `model`'s place for the body (a checkpoint holds them); yields
    the raw training weights (a state_dict, saved beside it) and puts them back after. Without: yields None."""
    if ema is None:
        yield None
        return
    raw = {k: v.clone() for k, v in model.state_dict().items()}
    with torch.no_grad():
        for p, average in zip(model.parameters(), ema.module.parameters()):
            p.copy_(average)
    try:
        yield raw
    finally:
        model.load_state_dict(raw)


def bn_batches(model, args, steps_done):
    """How many batches precise_bn runs: --bn_images worth, at most one per step run (a smoke run stays quick);
    0 for a model without batch norm."""
    if not any(isinstance(m, torch.nn.modules.batchnorm._BatchNorm) for m in model.modules()):
        return 0
    return min(math.ceil(args.bn_images / args.batch_size), steps_done)


def precise_bn(model, bn_pass, args, steps_done):
    """Recompute the model's batch norm statistics at its current weights (see BN_IMAGES for why) over fixed
    training batches: bn_pass = (training dataset, forward(batch)), forward running the model (not its DDP
    wrapper) on a collated batch as a training step does, without the loss.

    Every rank runs it at the same step (on CUDA SyncBatchNorm gathers the global batch, as in training) on its
    share of batches of the training size, so the statistics are what training normalised with: mean and
    unbiased variance averaged over the batches. The RNG state and the training stream are untouched, so a
    resumed run still repeats an uninterrupted one."""
    n_batches = bn_batches(model, args, steps_done)
    if not n_batches:
        return
    dataset, forward = bn_pass
    rank, world = rank_world()
    device = next(model.parameters()).device
    batches = iter(EpochBatchSampler(len(dataset), args.batch_size, args.seed + 1, 0, rank, world))
    bns = [m for m in model.modules() if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)]
    momenta, was_training = [m.momentum for m in bns], model.training
    for m in bns:
        m.reset_running_stats()
        m.momentum = None  # a cumulative average: every batch counts alike
    model.train()
    with torch.random.fork_rng(devices=[device] if device.type == "cuda" else []), torch.no_grad(), \
            autocast(args, device):
        for _ in range(n_batches):
            forward(collate_batched_R2N2([dataset[i] for i in next(batches)]))
    for m, momentum in zip(bns, momenta):
        m.momentum = momentum
    model.train(was_training)


def _raise_interrupt(signum, frame):
    raise KeyboardInterrupt


_CLOSED = object()  # RunFolder._board after close_board: no writer is made again


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
            device = next(self.run.state[0].parameters()).device.type
            line = eta_line(elapsed / ran, self.run.args.max_iter - self.run.completed, device)
            if line and self.run.main:
                tqdm.write(line)


class RunFolder:
    """{output_dir}/{id}/ of one training run: checkpoint_{name}.pth, args.json, loss_{name}.csv (+ .png),
    vis/{name}_{step}.png and (--tensorboard on) tensorboard/{name}/, and the bookkeeping of the loop that writes
    them (see train_model.py).

    Under torchrun only rank 0 (run.main) writes files, prints and shows a progress bar; the
    checkpoint holds the unwrapped model, so it reads as a one-process run's.
    """

    def __init__(self, args, name, loss_title):
        self.args, self.name, self.loss_title = args, name, loss_title
        self.rank, self.world = rank_world()
        self.main = self.rank == 0
        self.dir = os.path.join(args.output_dir, args.id)
        if self.main:
            os.makedirs(os.path.join(self.dir, "vis"), exist_ok=True)
        self.ckpt_path = os.path.join(self.dir, f"checkpoint_{name}.pth")
        self.log_path = os.path.join(self.dir, f"loss_{name}.csv")
        self.t_start = time.time()
        self.start_step = 0
        self.completed = 0  # steps whose optimiser update has been applied and logged
        self.bar = None
        self.eta = None
        self.state = None  # (model, optimizer, scaler): what a checkpoint holds
        self.board_dir = os.path.join(self.dir, "tensorboard", name)
        self._board = None  # the SummaryWriter once made; _CLOSED after close_board
        self._last_logged = None  # (wall time, step) of the previous loss log line: step_time_s

    def say(self, text):
        """Print once per run (rank 0)."""
        if self.main:
            print(text, flush=True)

    def board(self):
        """The run's TensorBoard writer (rank 0, --tensorboard on), made at its first use; None otherwise.

        Imported here, not at the top, so a --tensorboard off run never loads it (after torch it adds 35-80 ms on
        this 2-core CPU). purge_step: step N's events are logged after N steps, so a run that starts after step S (a
        resume; S = 0 for a new run) writes the steps from S + 1 on, and TensorBoard drops the events an earlier
        run wrote from there (a run cut off after its last checkpoint, or a new run in the same folder): every
        step shows once."""
        if self._board is None and self.main and self.args.tensorboard == "on":
            from torch.utils.tensorboard import SummaryWriter
            self._board = SummaryWriter(self.board_dir, purge_step=self.start_step + 1)
        return self._board if self._board is not _CLOSED else None

    def close_board(self):
        """Write out and close the TensorBoard files (the loop's end, Ctrl-C, an error); no more events after."""
        if self._board is not None and self._board is not _CLOSED:
            self._board.close()
        self._board = _CLOSED

    def resume(self, cfg, model, optimizer, scaler, ema):
        """Apply --load_checkpoint (model, its moving average, optimiser, loss scale, RNG) and return the step to
        start from; 0 for a new run. The checkpoint must hold the network `cfg` builds. Every rank reads it, so a
        run resumes under any number of processes."""
        self.state = (model, optimizer, scaler)
        if self.args.load_checkpoint:
            path = self.ckpt_path if self.args.load_checkpoint == "auto" else self.args.load_checkpoint
            ckpt = load_checkpoint(path)
            check_resumable(path, ckpt, cfg)
            if ckpt["args"].get("ema", 0.0) != self.args.ema:
                raise InputError(f"{path} was trained with --ema {ckpt['args'].get('ema', 0.0)}, not "
                                 f"--ema {self.args.ema}; pass that to resume it")
            model.load_state_dict(ckpt["train_model"] if ema is not None else ckpt["model"])
            if ema is not None:  # the checkpoint's model is the average (its batch norm statistics recomputed)
                ema.module.load_state_dict(ckpt["model"])
                ema.n_averaged.fill_(ckpt["ema_updates"])
            optimizer.load_state_dict(ckpt["optimizer"])
            if scaler.is_enabled() and "scaler" in ckpt:
                scaler.load_state_dict(ckpt["scaler"])
            self.start_step = ckpt["step"]
            restore_rng(ckpt)
            self.say(f"resumed from {path} at step {self.start_step}")
        if self.main and (self.start_step == 0 or not os.path.isfile(self.log_path)):
            with open(self.log_path, "w") as f:
                f.write("step,loss,terms,seconds\n")
        self.completed = self.start_step
        return self.start_step

    def steps(self):
        """The steps start_step .. max_iter - 1 (each the number of steps done before it), under a progress bar
        (rank 0), with the model in training mode and SIGTERM (a scheduler's or torchrun's kill) as Ctrl-C."""
        signal.signal(signal.SIGTERM, _raise_interrupt)
        self.state[0].train()
        self.eta = _EtaOnce(self)
        self.board()  # made before the clock starts: its import is no step's time
        self._last_logged = (time.time(), self.start_step)
        self.bar = tqdm(range(self.start_step, self.args.max_iter), initial=self.start_step, total=self.args.max_iter,
                        desc=f"train {self.name}", dynamic_ncols=True, disable=not self.main)
        return self.bar

    def log(self, step, loss, terms):
        """After the optimiser update of step `step` (steps done, from 1): count it; at --log_freq, before a
        checkpoint and at the end, append the loss and its terms to the log and stop on a NaN or infinite loss.

        The loss and its terms stay tensors until then, so a GPU step never waits for the host. Under
        torchrun they are averaged over the ranks there (every rank calls this at the same steps), so the
        log holds the global batch's loss, as a one-process run's.
        """
        self.completed = step
        self.eta.check()
        if not (due(step, self.args.log_freq) or due(step, self.args.save_freq) or step == self.args.max_iter):
            return
        values = torch.stack([loss.detach().float(), *(torch.as_tensor(v, dtype=torch.float32, device=loss.device)
                                                       for v in terms.values())])  # (1 + terms,)
        if self.world > 1:
            dist.all_reduce(values)
            values /= self.world
        value, *term_values = values.tolist()
        if value != value or abs(value) == float("inf"):
            raise InputError(f"the loss became {value} by step {step}; lower --lr (the last good checkpoint is "
                             f"{self.ckpt_path})")
        if self.main:
            terms = dict(zip(terms, term_values))
            self.bar.set_postfix(loss=f"{value:.4f}", **{k: f"{v:.4g}" for k, v in terms.items()})
            now = time.time()
            with open(self.log_path, "a") as f:
                f.write(f"{step},{value:.6f},{' '.join(f'{k}={v:.6f}' for k, v in terms.items())},"
                        f"{now - self.t_start:.1f}\n")
            board = self.board()
            if board is not None:  # the same numbers at the same steps as the log
                board.add_scalar("loss", value, step)
                for k, v in terms.items():
                    board.add_scalar(f"loss/{k}", v, step)
                board.add_scalar("lr", self.state[1].param_groups[0]["lr"], step)
                if self._last_logged is not None and step > self._last_logged[1]:
                    then, before = self._last_logged
                    board.add_scalar("step_time_s", (now - then) / (step - before), step)
            self._last_logged = (now, step)

    def checkpoint_due(self, step):
        """A checkpoint after step `step`: every --save_freq steps and at the end."""
        return due(step, self.args.save_freq) or step == self.args.max_iter

    def picture(self, batch, pred, gt, device):
        """vis/{name}_{step}.png: input | prediction | ground truth of the batch's first example (and the same
        picture as TensorBoard's image `prediction` at that step)."""
        step = self.completed
        path = os.path.join(self.dir, "vis", f"{self.name}_{step:06d}.png")
        visualize.save_prediction_panel(
            path, batch["images"][0], pred, gt,
            batch["R"][0].to(device), batch["T"][0].to(device), batch["K"][0].to(device),
            title=f"{self.args.id} step {step}, {batch['model_id'][0]} view {batch['view'][0]}")
        board = self.board()
        if board is not None:
            with Image.open(path) as picture:
                board.add_image("prediction", np.asarray(picture.convert("RGB")), step, dataformats="HWC")

    def save(self, step, ema=None, raw=None):
        """The checkpoint (atomically, rank 0) of the model as it is now, and the loss curve so far. With --ema
        (inside averaged_weights) the model holds the average, and `raw`, the training weights the run goes on
        from, is kept beside it as train_model."""
        model, optimizer, scaler = self.state
        if not self.main:
            return
        extra = {"scaler": scaler.state_dict()} if scaler.is_enabled() else {}
        if ema is not None:
            extra.update(train_model=raw, ema_updates=int(ema.n_averaged))
        save_checkpoint(self.ckpt_path, model, optimizer, step, self.args, extra)
        rows = [line.split(",") for line in open(self.log_path).read().splitlines()[1:]]
        if rows:
            visualize.save_loss_curve([int(r[0]) for r in rows], [float(r[1]) for r in rows],
                                      os.path.join(self.dir, f"loss_{self.name}.png"), f"{self.args.id}: {self.loss_title}")

    def checkpoint(self, step, ema, bn_pass, interrupted=False):
        """The checkpoint sequence, the same for the loop's saves and for Ctrl-C's: the weights saved are the moving
        average (--ema; the training weights go beside them), batch norm statistics are recomputed at those weights
        (precise_bn), then the file and the loss curve are written (rank 0). Interrupted, the file is first written
        as it is, so a second Ctrl-C during the batch norm pass loses nothing; with several processes only this one
        is left to run that pass (the next save of a resumed run does)."""
        model = self.state[0]
        with averaged_weights(model, ema) as raw:
            if interrupted:
                self.save(step, ema, raw)
                if self.world > 1 or not bn_batches(model, self.args, step):
                    return
            precise_bn(model, bn_pass, self.args, step)
            self.save(step, ema, raw)

    @contextlib.contextmanager
    def saved_on_interrupt(self, ema, bn_pass):
        """Around the loop: Ctrl-C or SIGTERM saves the finished steps once (rank 0, `checkpoint`) and ends every
        rank with KeyboardInterrupt (cli.run: exit code 130). The TensorBoard files are closed on the way out,
        whatever ends the loop (first thing on Ctrl-C, so a second one loses none of them)."""
        try:
            yield
        except KeyboardInterrupt:
            self.close_board()
            if self.bar is not None:
                self.bar.close()
            if self.main:
                print(f"\ninterrupted: saving the checkpoint after {self.completed} steps")
                self.checkpoint(self.completed, ema, bn_pass, interrupted=True)
                print(f"saved {self.ckpt_path}; resume with --load_checkpoint", flush=True)
            raise  # no teardown of the process group: the other ranks may be gone already
        finally:
            self.close_board()

    def finish(self):
        """The one-line speed summary; returns the checkpoint's path (the loop saved it at its last step)."""
        self.bar.close()
        self.close_board()  # before os._exit below, which would skip the writer's own flush at exit
        elapsed = time.time() - self.t_start
        steps_run = self.args.max_iter - self.start_step
        self.say(f"{steps_run} steps in {elapsed:.0f} s ({steps_run / max(elapsed, 1e-9):.2f} it/s)")
        self.say(f"checkpoint: {self.ckpt_path}")
        if dist.is_initialized():
            # Everything is written; leave without the interpreter's teardown. Freeing DDP's reducer drops
            # the last reference to the gloo process group, whose destructor joins gloo's worker thread while
            # holding the GIL, and that thread may still need the GIL to free the tensors of the last
            # collective: a deadlock seen in 1 of 5 runs of tests/test_ddp.py here (PyTorch issue 56297).
            dist.barrier()
            dist.destroy_process_group()
            for stream in (sys.stdout, sys.stderr):
                stream.flush()
            os._exit(0)
        return self.ckpt_path
