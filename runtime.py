"""What every script needs to run: the device, seeding, speed flags and atomic writes."""
import os
import random
import re
import shutil
import sys

import numpy as np
import torch

from cli import InputError


def cuda_problem(index):
    """Why CUDA device `index` cannot run this build of torch, in a few words; None when it can.

    The pinned wheels (torch 2.11, CUDA 13) need an NVIDIA driver >= 580 and carry kernels for the
    architectures in torch.cuda.get_arch_list(); a card outside them (or an old driver) fails at the
    first kernel, deep inside training. A card runs sm_XY kernels of its own major version with
    Y <= its minor, and PTX (compute_XY) of any lower version, JIT-compiled by the driver.
    """
    major, minor = torch.cuda.get_device_capability(index)
    archs = torch.cuda.get_arch_list()  # e.g. ['sm_75', 'sm_80', 'sm_90', 'sm_100', 'sm_120', 'compute_120']
    runs = []
    for arch in archs:
        m = re.fullmatch(r"(sm|compute)_(\d+)(\d)[a-z]?", arch)
        if m and (m[1] == "sm" and int(m[2]) == major and int(m[3]) <= minor
                  or m[1] == "compute" and (int(m[2]), int(m[3])) <= (major, minor)):
            runs.append(arch)
    name = torch.cuda.get_device_name(index)
    if not runs:
        return (f"{name} (compute capability {major}.{minor}) is not among this torch build's architectures "
                f"({' '.join(archs)})")
    try:
        (torch.ones(2, device=f"cuda:{index}") * 2).sum().item()
    except RuntimeError as e:  # an old driver (this build needs >= 580) or a broken card
        return f"{name} cannot run a kernel ({str(e).strip().splitlines()[0]})"
    return None


def pick_device(name, local_rank=0):
    """--device: "auto" is CUDA when a usable card is there, else the CPU (saying why, when a card is there but
    unusable); "cuda" / "cuda:N" are refused in one line when that card cannot run; anything else goes to torch.device.

    local_rank: the card "auto" and "cuda" mean (a torchrun process's LOCAL_RANK); only that card is touched,
    so the processes of a DDP run do not all open a CUDA context on card 0.
    """
    if name == "auto":
        if not torch.cuda.is_available():
            return torch.device("cpu")
        problem = cuda_problem(local_rank)
        if problem:
            print(f"note: {problem}; using the CPU", file=sys.stderr)
            return torch.device("cpu")
        return torch.device("cuda", local_rank)
    device = torch.device(name)
    if device.type == "cuda":
        if not torch.cuda.is_available():
            raise InputError(f"--device {name} asked for CUDA but none is available; use --device cpu or auto")
        index = local_rank if device.index is None else device.index
        if index >= torch.cuda.device_count():
            raise InputError(f"--device {name} means cuda:{index}, but this machine has "
                             f"{torch.cuda.device_count()} CUDA device(s)")
        problem = cuda_problem(index)
        if problem:
            raise InputError(f"--device {name}: {problem}; use --device cpu, or a torch build for this card")
        device = torch.device("cuda", index)
    return device


def fast_bf16(device_name):
    """True when bfloat16 autocast (--amp bf16) speeds training up where --device `device_name` runs: a CUDA card
    with bfloat16 units (compute capability 8.0 or newer), or a CPU on which oneDNN has bfloat16 kernels (AVX-512
    or AMX). Elsewhere (an AVX2 laptop) bfloat16 is emulated and slower than float32.
    """
    if device_name != "cpu" and torch.cuda.is_available():
        return torch.cuda.is_bf16_supported()
    return torch.backends.mkldnn.is_available() and torch.ops.mkldnn._is_mkldnn_bf16_supported()


def speed_flags(device, deterministic=False):
    """The backend switches of a training run on `device`.

    CUDA: cuDNN autotuning (the shapes are fixed from step to step) and TF32 matmuls and convolutions
    (10-bit mantissa products with float32 accumulation: losses move in the 3rd-4th digit, well inside
    step-to-step noise). deterministic: torch.use_deterministic_algorithms (warnings only, since
    PyTorch3D's kernels do not declare themselves) and no autotuning, so a CUDA run repeats bitwise.
    """
    if device.type != "cuda":
        torch.use_deterministic_algorithms(deterministic, warn_only=True)
        return
    if deterministic:
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")  # cuBLAS' condition for repeatable results
    torch.use_deterministic_algorithms(deterministic, warn_only=True)
    torch.backends.cudnn.benchmark = not deterministic
    torch.backends.cuda.matmul.allow_tf32 = True
    torch.backends.cudnn.allow_tf32 = True


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


def remove_stale_tmp(path):
    """Delete the `path`.tmp-<pid> folders of builds whose process is gone (killed, out of power)."""
    parent, name = os.path.split(os.path.abspath(path))
    for entry in os.listdir(parent) if os.path.isdir(parent) else []:
        pid = entry[len(name) + len(".tmp-"):]
        if not (entry.startswith(name + ".tmp-") and pid.isdigit()):
            continue
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            shutil.rmtree(os.path.join(parent, entry), ignore_errors=True)
        except PermissionError:  # alive, someone else's
            pass


# What a CPU without AVX-512 or bfloat16 kernels runs (most laptops and desktops, AMD before Zen 4): set before
# torch starts, on any x86 machine, these make torch's own kernels (ATen), oneDNN's and MKL's stop at AVX2, and
# oneDNN then has no bfloat16 kernels (fast_bf16 says False, as on such a CPU). `make demo CPU=avx2` and the
# benchmarks' --cpu avx2 set them. It is the instruction set only: a real AVX2 CPU's clock, caches and memory
# are its own (a Zen 3 core took 1.0 s for the ResNet18 step that takes 0.57 s here emulated; RESULTS.md).
AVX2_ENV = {"ATEN_CPU_CAPABILITY": "avx2", "ONEDNN_MAX_CPU_ISA": "AVX2", "MKL_ENABLE_INSTRUCTIONS": "AVX2"}


def cpu_kind():
    """The CPU's vector kernels as torch runs them, in a few words: "AVX512, bfloat16 kernels",
    "AVX2 (emulated: ATEN_CPU_CAPABILITY=avx2 ...)", "NEON, no bfloat16 kernels" (Apple silicon: torch names it
    DEFAULT)."""
    capability = torch.backends.cpu.get_cpu_capability()
    bf16 = "bfloat16 kernels" if fast_bf16("cpu") else "no bfloat16 kernels"
    emulated = [f"{k}={v}" for k, v in AVX2_ENV.items() if os.environ.get(k, "").lower() == v.lower()]
    how = f" (emulated: {' '.join(emulated)})" if emulated else ""
    return f"{capability}{how}, {bf16}"


def step_seconds(device, amp=None, batch=16, steps=5):
    """Seconds of one training step of the image encoder (ResNet18 forward, backward and Adam at `batch` 137x137
    images, with bfloat16 autocast when amp == "bf16"), the median of `steps` after a warm-up: the cost that
    decides how long the demo trains. Random weights and images, seeded; the global RNG is left as it was."""
    import time

    import torchvision

    device = torch.device(device)
    with torch.random.fork_rng(devices=[device] if device.type == "cuda" else []):
        torch.manual_seed(0)
        net = torchvision.models.resnet18(num_classes=512).to(device)
        images = torch.randn(batch, 3, 137, 137, device=device)
        optimizer = torch.optim.Adam(net.parameters(), fused=True)  # as training.adam
        times = []
        for _ in range(steps + 1):
            start = time.perf_counter()
            with torch.autocast(device.type, dtype=torch.bfloat16, enabled=amp == "bf16"):
                loss = net(images).float().square().mean()
            loss.backward()
            optimizer.step()
            optimizer.zero_grad(set_to_none=True)
            if device.type == "cuda":
                torch.cuda.synchronize(device)
            times.append(time.perf_counter() - start)
    return float(np.median(times[1:]))
