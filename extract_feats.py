"""Write rendering/feats.npy ((views, C) encoder features of every view) for every model of a dataset.

The learning3d dataset ships feats.npy from an ImageNet ResNet18; this writes the same file for any
dataset (the embedded chairs included) with a chosen encoder, so `--load_feat` training can skip the
encoder entirely:

    python extract_feats.py --arch resnet18 --pretrained auto
    python train_model.py --type point --load_feat --id q2_feat
    python extract_feats.py --checkpoint_path outputs/q2/checkpoint_point.pth   # the encoder of a trained model

Existing feats.npy files are replaced only with --overwrite.
"""
import argparse
import os
import sys

import numpy as np
import torch
from tqdm import tqdm

import cli
from dataset_location import resolve_dataset_dir
from checkpoint import load_model
from model import ARCHS, ImageEncoder
from r2n2_layout import IMAGE_SIZE, model_paths, parse_classes, read_png, read_split, split_names, view_png
from runtime import atomic_write, pick_device, seed_everything


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=cli.Defaults, usage=cli.USAGE)
    p.add_argument("--arch", choices=list(ARCHS), default="resnet18", help="encoder architecture when no checkpoint is given")
    p.add_argument("--pretrained", choices=["auto", "yes", "no"], default="auto", help="ImageNet weights for the encoder")
    p.add_argument("--seed", type=int, default=0, help="random seed of the encoder's weights when they are not ImageNet's")
    p.add_argument("--checkpoint_path", default=None,
                   help="use the encoder of this trained model (any training script); not given: --arch with --pretrained")
    p.add_argument("--batch_size", type=int, default=48, help="images per forward pass")
    p.add_argument("--overwrite", action="store_true", help="replace existing feats.npy files")
    cli.add_device_and_dataset_args(p)
    args = p.parse_args()
    cli.check_at_least(args, "batch_size")
    if args.checkpoint_path and not os.path.isfile(args.checkpoint_path):
        p.error(f"--checkpoint_path {args.checkpoint_path} does not exist")
    dataset_dir = resolve_dataset_dir(args.dataset_dir, classes=args.classes)  # before the encoder (and any download)
    synsets = parse_classes(args.classes)

    device = pick_device(args.device)
    if args.checkpoint_path:
        model, train_args, _ = load_model(args.checkpoint_path, device)
        if model.encoder is None:
            raise cli.InputError(f"{args.checkpoint_path} was trained on features (--load_feat) and has no encoder")
        encoder = model.encoder
    else:
        seed_everything(args.seed)  # random weights (--pretrained no, or none to be had) repeat run to run
        encoder = ImageEncoder(args.arch, args.pretrained)
    encoder = encoder.to(device).eval()

    models = {}
    for synset in synsets:
        for split in split_names(dataset_dir, [synset]):
            for model_id, _ in read_split(dataset_dir, split, synset):
                models[synset, model_id] = True
    written = 0
    for synset, model_id in tqdm(sorted(models), desc="features", unit="model"):
        paths = model_paths(dataset_dir, model_id, synset)
        if os.path.isfile(paths["feats"]) and not args.overwrite:
            continue
        with open(paths["metadata"]) as f:
            n_views = sum(1 for line in f if line.strip())
        try:
            images = np.stack([read_png(view_png(dataset_dir, model_id, v, synset)) for v in range(n_views)])
        except ValueError as e:
            raise cli.InputError(str(e)) from None
        assert images.shape[1:] == (IMAGE_SIZE, IMAGE_SIZE, 3)
        feats = []
        with torch.no_grad():
            for start in range(0, n_views, args.batch_size):
                x = torch.from_numpy(images[start:start + args.batch_size]).float().to(device) / 255.0
                feats.append(encoder(x).cpu())  # (b, C)
        feats = torch.cat(feats).numpy().astype(np.float32)  # (views, C)
        atomic_write(paths["feats"], lambda tmp: np.save(tmp, feats))
        written += 1
    print(f"wrote feats.npy for {written} of {len(models)} models in {dataset_dir}")


if __name__ == "__main__":
    sys.exit(cli.run(main))
