"""The checkpoint: one save/load pair for every script, and the model rebuilt from the file alone.

A checkpoint is a plain dict (model and optimiser state, step, the network's ModelArgs as `model_args`, the
run's arguments, RNG state), so a run resumes exactly and an evaluator rebuilds the network without being
told how it was trained. It is loaded with weights_only=True: a checkpoint is untrusted input.
"""
import argparse
import dataclasses
import json
import os
import random

import numpy as np
import torch

from cli import InputError
from model import KINDS, ModelArgs, build_model
from runtime import atomic_write


def save_checkpoint(path, model, optimizer, step, args, extra=None):
    """A plain dict: model and optimiser state, step, the model's ModelArgs (model.cfg), the run's arguments and
    RNG state (resume is exact).

    The arguments are also written beside it as `args.json`, so a run can be read without torch.
    """
    cfg = getattr(model, "cfg", None)
    state = {
        "model": model.state_dict(),
        **({"model_args": dataclasses.asdict(cfg)} if isinstance(cfg, ModelArgs) else {}),
        "optimizer": optimizer.state_dict() if optimizer is not None else None,
        "step": step,
        "args": vars(args),
        "rng": {
            "torch": torch.get_rng_state(),
            # The current device's generator (each rank of a DDP run has one), and only when this process used
            # CUDA: asking would create a CUDA context (hundreds of MB) in a CPU run, or on every card in a DDP run.
            "cuda": [torch.cuda.get_rng_state()] if torch.cuda.is_initialized() else [],
            "numpy": torch.from_numpy(np.random.get_state()[1].astype(np.int64)),
            "numpy_pos": int(np.random.get_state()[2]),
            "python": torch.tensor(random.getstate()[1], dtype=torch.int64),
        },
        **(extra or {}),
    }
    atomic_write(path, lambda tmp: torch.save(state, tmp))
    args_path = os.path.join(os.path.dirname(path), "args.json")
    atomic_write(args_path, lambda tmp: json.dump(vars(args), open(tmp, "w"), indent=2, default=str))


# Arguments added after checkpoints of a model kind were written, with the value those older checkpoints mean.
LATER_ARGS = {"parametric": {"refine": "none"}}


def model_args(ckpt):
    """The ModelArgs a checkpoint's network is built from. A checkpoint written before they were stored has only
    its run's arguments: converted here, once, for every reader (a parametric run from before --refine meant none)."""
    if "model_args" in ckpt:
        return ModelArgs(**ckpt["model_args"])
    args = ckpt["args"]
    kind = args.get("model_type") or args.get("type")
    return ModelArgs.from_flags(kind, {**LATER_ARGS.get(kind, {}), **args})


def load_checkpoint(path, expect=None):
    """Load a checkpoint as untrusted input (weights_only=True); `expect` maps arg names to required values.

    Raises InputError with one line for a missing file, a file that is not a checkpoint of this repo,
    or a checkpoint of another kind (e.g. a point model given to the voxel evaluator).
    """
    if not os.path.isfile(path):
        raise InputError(f"checkpoint {path} does not exist; pass the path printed at the end of training")
    try:
        ckpt = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:  # torch raises many types for a file that is not a checkpoint
        raise InputError(f"{path} is not a readable checkpoint ({type(e).__name__}); pass a .pth written by training") from None
    if not isinstance(ckpt, dict) or "model" not in ckpt or "args" not in ckpt:
        raise InputError(f"{path} is not a checkpoint of this repo (no model/args); pass a .pth written by training")
    check_kind(path, ckpt["args"], expect)
    return ckpt


def check_kind(path, args, expect):
    """InputError with one line when the checkpoint's `args` (a dict: its run's flags, or its model_args) differ
    from `expect` (name -> required value)."""
    for key, value in (expect or {}).items():
        if key not in args and value is not None:
            raise InputError(f"{path} was written by another training script (its args have no {key}, "
                             f"{key}={value!r} was asked for); pass a checkpoint of the right kind")
        got = args.get(key)
        if got != value:
            raise InputError(f"{path} holds a model with {key}={got!r}, but {key}={value!r} was asked for; "
                             f"pass --{key} {got} or a checkpoint of the right kind")


def check_resumable(path, ckpt, cfg):
    """InputError with one line when the checkpoint's network is not the one `cfg` (the run's flags) builds."""
    try:
        saved = model_args(ckpt)
    except (KeyError, TypeError, ValueError):
        raise InputError(f"{path} does not hold a model this repo can rebuild; pass a checkpoint written by "
                         f"{KINDS[cfg.kind].script}") from None
    if saved.kind != cfg.kind:
        same_script = KINDS[saved.kind].script == KINDS[cfg.kind].script
        raise InputError(f"{path} holds a {saved.kind} model of {KINDS[saved.kind].script}, not a {cfg.kind} model; pass "
                         + (f"--type {saved.kind} or " if same_script else "") + "a checkpoint of the right kind")
    check_kind(path, dataclasses.asdict(saved), dataclasses.asdict(cfg))


def restore_rng(ckpt):
    """Put back the RNG state saved by save_checkpoint, so a resumed run continues identically."""
    rng = ckpt["rng"]
    torch.set_rng_state(rng["torch"])
    if len(rng["cuda"]) == 1 and torch.cuda.is_initialized():  # a CUDA run resumed on CUDA: the current device
        torch.cuda.set_rng_state(rng["cuda"][0])
    np.random.set_state(("MT19937", rng["numpy"].numpy().astype(np.uint32), rng["numpy_pos"]))
    py = random.getstate()
    random.setstate((py[0], tuple(int(x) for x in rng["python"].tolist()), py[2]))


def load_model(path, device, expect=None):
    """The trained network of a checkpoint, on `device`, in eval mode: (model, the run's args, checkpoint).

    expect: as for load_checkpoint; `model_type: None` asks for a model of train_model.py (vox, point,
    mesh) and refuses section 3's implicit and parametric models with the script that reads them.
    """
    ckpt = load_checkpoint(path)
    model_type = ckpt["args"].get("model_type")
    if expect and "model_type" in expect and expect["model_type"] is None and model_type:
        raise InputError(f"{path} holds a {model_type} model of writeup section 3; "
                         f"read it with eval_q3.py --model_type {model_type}")
    check_kind(path, ckpt["args"], {k: v for k, v in (expect or {}).items() if k != "model_type" or v})
    try:
        model = build_model(model_args(ckpt))
        model.load_state_dict(ckpt["model"])
    except (AttributeError, KeyError, RuntimeError, TypeError, ValueError) as e:  # args or weights of another model
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise InputError(f"{path} does not hold a model this repo can rebuild ({first}); "
                         "pass a checkpoint written by one of the training scripts") from None
    return model.to(device).eval(), argparse.Namespace(**ckpt["args"]), ckpt
