"""Evaluate a trained single-view-to-3D model on the test split (writeup 2.1-2.5).

    python eval_model.py --type 'vox' --id 'q2' --output_dir "./test_outputs" --checkpoint_path "<ckpt_path>" --vis_freq 100
    python eval_model.py --type 'point' --id 'q2' --output_dir "./test_outputs" --checkpoint_path "<ckpt_path>" --vis_freq 100
    python eval_model.py --type 'mesh' --id 'q2' --output_dir "./test_outputs" --checkpoint_path "<ckpt_path>" --vis_freq 100
    python eval_model.py --type 'point' --id 'q2_500' --output_dir "./test_outputs" --checkpoint_path "<ckpt_path>" --n_points 500
    python eval_model.py --type 'vox' --id 'q2' --output_dir "./test_outputs" --checkpoint_path "<ckpt_path>" --isovalue 0.5

Every test chair is seen from one view (chair i from its (i mod 24)-th view, so all azimuths occur;
--all_views uses every view). Precision, recall and F1 at thresholds 0.01..0.05 compare points on the
predicted shape with 10k fixed points on the ground-truth mesh, in the object frame, nothing re-centred:
  vox:   marching cubes of the sigmoid probabilities at the isovalue with the best F1@0.05 on the val split
         (printed and recorded; --isovalue 0.5 is the writeup's fixed cut, written to metrics_vox_iso0.5.json),
         then 10k points sampled on that surface
  point: the predicted points themselves
  mesh:  10k points sampled on the predicted mesh
Voxels also get the volumetric IoU (the metric of 3D-R2N2 and Occupancy Networks): on the 32^3 grid against
the ground-truth voxels, and on 20k uniform points in the cube (the probabilities interpolated trilinearly,
cut where the surface is cut) against the mesh's inside (winding number; the voxels where it is not closed).
The same samples are also scored under the published protocols (protocols.py: Mesh R-CNN, Pixel2Mesh, Occupancy
Networks), printed after the writeup's numbers and stored under "protocols" (compare.py --protocol shows them).
Writes {output_dir}/{id}/metrics_{type}.json, eval_{type}.png (F1 vs threshold), vis/ pictures and shapes_{type}.npz
(the best, median, worst and pictured chairs' predictions and meshes, for the report page's 3D views).
"""
import argparse
import os
import sys

import cli
from checkpoint import load_model
from cli import InputError
from evaluation import (ISOVALUE_HELP, add_common_eval_args, check_eval_args, evaluate, evaluated_split, iso_shift,
                        isovalue_arg, make_predict, note_classes, resolve_isovalue, save_shapes)
from r2n2_layout import classes_label
from results import metrics_name, print_summary, shapes_path, write_metrics
from runtime import pick_device


def get_args_parser():
    p = argparse.ArgumentParser(description="Evaluate an image -> 3D model on the test split (writeup 2.1-2.5)")
    p.add_argument("--type", choices=["vox", "point", "mesh"], required=True, help="representation of the checkpoint")
    p.add_argument("--id", default="q2", help="run name: results go to {output_dir}/{id}/")
    p.add_argument("--output_dir", default="./test_outputs", help="root folder of results; the default is the writeup's")
    p.add_argument("--checkpoint_path", required=True, help="checkpoint written by train_model.py")
    p.add_argument("--n_points", type=int, default=None, help="point only: points the model predicts, checked against the checkpoint (not given: the checkpoint's)")
    p.add_argument("--isovalue", type=isovalue_arg, default=None, help="vox only: " + ISOVALUE_HELP)
    return add_common_eval_args(p)


def main(args):
    if args.isovalue not in (None, "auto"):
        iso_shift(args.isovalue)  # its range check, before any loading
    if args.type != "vox" and args.isovalue is not None:
        raise InputError(f"--isovalue applies to --type vox; a {args.type} prediction has no level to cut")
    check_eval_args(args)  # the numbers, the checkpoint's file and the dataset, before anything is loaded or written
    name = metrics_name(args.type, isovalue=args.isovalue)
    device = pick_device(args.device)
    model, train_args, ckpt = load_model(args.checkpoint_path, device, expect={"type": args.type, "model_type": None})
    note_classes(train_args, args)
    if args.type == "point" and args.n_points is not None and args.n_points != train_args.n_points:
        raise InputError(f"--n_points {args.n_points}, but {args.checkpoint_path} predicts "
                         f"{train_args.n_points} points; pass --n_points {train_args.n_points}")

    isovalue, cut = 0.5, {}
    if args.type == "vox":
        isovalue, cut = resolve_isovalue(args, model, args.type, device, train_args.load_feat)
    dataset, loader, out_dir, vis_dir = evaluated_split(args, train_args.load_feat)
    predict = make_predict(model, args.type, device, isovalue=isovalue)
    results, per_second = evaluate(predict, loader, device, vis_dir, args.vis_freq, title=f"{args.id} {name}")
    summary, path = write_metrics(results, out_dir, name, {
        "id": args.id, "type": args.type, "checkpoint": os.path.abspath(args.checkpoint_path),
        "step": ckpt["step"], "split": args.split, "dataset": dataset.dataset_dir,
        "views": "all" if args.all_views else "one", "n_points": train_args.n_points if args.type == "point" else None,
        "classes": classes_label(dataset.synsets), **cut,
    }, synsets=dataset.example_synsets())
    save_shapes(make_predict(model, args.type, device, isovalue=isovalue, with_iou=False), dataset, results,
                shapes_path(out_dir, name), args.vis_freq)  # the report page's 3D views
    print_summary(summary, path, per_second, device)
    return summary


if __name__ == "__main__":
    sys.exit(cli.run(main, get_args_parser().parse_args()))
