"""What every script needs to run: the device, seeding, atomic writes, and the checkpoint save/load pair."""
import json
import os
import random

import numpy as np
import torch


def pick_device(name):
    """--device: "auto" is CUDA when available, else CPU; anything else is passed to torch.device."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    device = torch.device(name)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise SystemExit(f"error: --device {name} asked for CUDA but none is available; use --device cpu or auto")
    return device


def seed_everything(seed):
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def atomic_write(path, write):
    """Call write(tmp_path), then rename onto `path`, so a crash never leaves a half-written file."""
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    root, ext = os.path.splitext(path)
    tmp = f"{root}.tmp{os.getpid()}{ext}"  # keep the extension: some writers pick the format from it
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def save_checkpoint(path, model, optimizer, step, args, extra=None):
    """A plain dict: model and optimiser state, step, the run's arguments and RNG state (resume is exact).

    The arguments are also written beside it as `args.json`, so a run can be read without torch.
    """
    state = {
        "model": model.state_dict(),
        "optimizer": optimizer.state_dict() if optimizer is not None else None,
        "step": step,
        "args": vars(args),
        "rng": {
            "torch": torch.get_rng_state(),
            "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else [],
            "numpy": torch.from_numpy(np.random.get_state()[1].astype(np.int64)),
            "numpy_pos": int(np.random.get_state()[2]),
            "python": torch.tensor(random.getstate()[1], dtype=torch.int64),
        },
        **(extra or {}),
    }
    atomic_write(path, lambda tmp: torch.save(state, tmp))
    args_path = os.path.join(os.path.dirname(path), "args.json")
    atomic_write(args_path, lambda tmp: json.dump(vars(args), open(tmp, "w"), indent=2, default=str))


def load_checkpoint(path, expect=None):
    """Load a checkpoint as untrusted input (weights_only=True); `expect` maps arg names to required values.

    Raises SystemExit with one line for a missing file, a file that is not a checkpoint of this repo,
    or a checkpoint of another kind (e.g. a point model given to the voxel evaluator).
    """
    if not os.path.isfile(path):
        raise SystemExit(f"error: checkpoint {path} does not exist; pass the path printed at the end of training")
    try:
        ckpt = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:  # torch raises many types for a file that is not a checkpoint
        raise SystemExit(f"error: {path} is not a readable checkpoint ({type(e).__name__}); pass a .pth written by training") from None
    if not isinstance(ckpt, dict) or "model" not in ckpt or "args" not in ckpt:
        raise SystemExit(f"error: {path} is not a checkpoint of this repo (no model/args); pass a .pth written by training")
    for key, value in (expect or {}).items():
        if key not in ckpt["args"] and value is not None:
            raise SystemExit(f"error: {path} was written by another training script (its args have no {key}, "
                             f"{key}={value!r} was asked for); pass a checkpoint of the right kind")
        got = ckpt["args"].get(key)
        if got != value:
            raise SystemExit(f"error: {path} holds a model with {key}={got!r}, but {key}={value!r} was asked for; "
                             f"pass --{key} {got} or a checkpoint of the right kind")
    return ckpt


def restore_rng(ckpt):
    """Put back the RNG state saved by save_checkpoint, so a resumed run continues identically."""
    rng = ckpt["rng"]
    torch.set_rng_state(rng["torch"])
    if torch.cuda.is_available() and len(rng["cuda"]) == torch.cuda.device_count():
        torch.cuda.set_rng_state_all(rng["cuda"])
    np.random.set_state(("MT19937", rng["numpy"].numpy().astype(np.uint32), rng["numpy_pos"]))
    py = random.getstate()
    random.setstate((py[0], tuple(int(x) for x in rng["python"].tolist()), py[2]))
