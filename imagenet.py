"""The encoder's ImageNet weights: torchvision's, from torch hub's cache or one quiet download.

Kept apart from model.py so that building a network never touches the network: model.ImageEncoder asks
`encoder_weights` once, and the training scripts ask before anything is created (--pretrained yes fails
in one line, not after a run folder exists).
"""
import contextlib
import io
import os
import socket
import sys

import torch
import torchvision

from cli import InputError


def imagenet_cache_path(arch):
    """Where torch hub keeps (and looks for) torchvision's ImageNet weights of `arch`."""
    url = torchvision.models.get_model_weights(arch).IMAGENET1K_V1.url
    return os.path.join(torch.hub.get_dir(), "checkpoints", os.path.basename(url))


def no_weights_error(arch, why):
    """The one line --pretrained yes stops with when the weights cannot be had: where to put the file."""
    url = torchvision.models.get_model_weights(arch).IMAGENET1K_V1.url
    return (f"--pretrained yes, but there are no ImageNet weights for {arch} ({why}); download {url} "
            f"to {imagenet_cache_path(arch)}, or pass --pretrained auto or no")


def imagenet_state_dict(arch, timeout=30):
    """(state_dict, None) of torchvision's ImageNet weights for `arch`, or (None, why not).

    torch hub's cache ($TORCH_HOME/hub/checkpoints) first; otherwise one quiet download attempt (no
    progress bar, and torch hub's "Downloading: URL" line, on stdout or stderr by version, is swallowed) whose network
    calls give up after `timeout` seconds, so an offline machine sees only the caller's one-line note.
    """
    weights = torchvision.models.get_model_weights(arch).IMAGENET1K_V1
    cached = imagenet_cache_path(arch)
    if os.path.isfile(cached):
        try:
            return torch.load(cached, map_location="cpu", weights_only=True), None
        except Exception as e:  # a truncated or corrupt file
            return None, f"{cached} is unreadable ({type(e).__name__}); delete it"
    old_timeout = socket.getdefaulttimeout()
    socket.setdefaulttimeout(timeout)
    try:
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            state = weights.get_state_dict(progress=False, check_hash=True)
        print(f"note: downloaded the ImageNet weights of {arch} to {cached}", file=sys.stderr)
        return state, None
    except Exception as e:  # offline, blocked, a proxy's error page, a hash mismatch
        return None, f"not in torch hub's cache and the download failed: {type(e).__name__}"
    finally:
        socket.setdefaulttimeout(old_timeout)


def encoder_weights(arch, pretrained):
    """The ResNet state_dict the encoder starts from, or None for random weights, as --pretrained says: "yes"
    needs the weights (InputError saying where the file goes), "auto" uses them when they can be had and
    otherwise says so in one line, "no" does not look."""
    if pretrained == "no":
        return None
    state, why = imagenet_state_dict(arch)
    if state is None and pretrained == "yes":
        raise InputError(no_weights_error(arch, why))
    if state is None:
        print(f"note: no ImageNet weights for {arch} ({why}); the encoder starts from random weights "
              f"(--pretrained no skips the try; {imagenet_cache_path(arch)} is where they go)", file=sys.stderr)
    return state
