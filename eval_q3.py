"""Evaluate the implicit and parametric networks of writeup section 3 on the test split.

    python eval_q3.py --id 'q3_implicit' --model_type "occupancy" --type 'vox' --output_dir "./test_outputs" --checkpoint_path <checkpoint_path>
    python eval_q3.py --id 'q3_implicit' --model_type "occupancy" --type 'vox' --output_dir "./test_outputs" --checkpoint_path <checkpoint_path> --eval_res 64
    python eval_q3.py --id 'q3_implicit' --model_type "occupancy" --type 'vox' --output_dir "./test_outputs" --checkpoint_path <checkpoint_path> --isovalue 0.5
    python eval_q3.py  --type 'point' --model_type parametric --id 'q3_parametric' --output_dir "./test_outputs" --checkpoint_path <checkpoint_path>
    python eval_q3.py  --type 'mesh' --model_type parametric --id 'q3_parametric' --output_dir "./test_outputs" --checkpoint_path <checkpoint_path>

Scored exactly as eval_model.py scores voxels, points and meshes (evaluation.py): one view per test
chair, precision/recall/F1 at 0.01..0.05 against 10k fixed ground-truth points, in the object frame,
nothing re-centred.
  occupancy, --type vox:    the occupancy probabilities on the --eval_res^3 voxel centres of the cube
                            (queried in chunks), marching cubes at the isovalue with the best F1@0.05 on
                            val (printed and recorded; --isovalue 0.5: the writeup's fixed cut, written to
                            metrics_occupancy_32_iso0.5.json), 10k points sampled on that surface
  parametric, --type point: the points of a regular UV grid per patch (about --n_points in all)
  parametric, --type mesh:  that grid triangulated, 10k points sampled on the mesh
The occupancy network also gets the volumetric IoU, as eval_model.py gives voxels: on the 32^3 grid of voxel
centres against the ground-truth voxels, and on 20k uniform points in the cube against the mesh's inside.
The same samples are also scored under the published protocols (protocols.py: Mesh R-CNN, Pixel2Mesh, Occupancy
Networks), printed after the writeup's numbers and stored under "protocols" (compare.py --protocol shows them).
Writes {output_dir}/{id}/metrics_{name}.json, eval_{name}.png (F1 vs threshold), vis/ pictures and shapes_{name}.npz
(the best, median, worst and pictured chairs, for the report page's 3D views), where name is occupancy_{eval_res}
or parametric_{type}.
"""
import argparse
import os
import sys

import cli
from checkpoint import load_model
from cli import InputError, check_at_least
from evaluation import (ISOVALUE_HELP, add_common_eval_args, check_eval_args, evaluate, evaluated_split, iso_shift,
                        isovalue_arg, make_predict, note_classes, resolve_isovalue, save_shapes)
from model import KINDS, QUERY_CHUNK
from r2n2_layout import classes_label
from results import metrics_name, print_summary, shapes_path, write_metrics
from runtime import pick_device

TYPES = {kind: KINDS[kind].scored_as for kind in ("occupancy", "parametric")}  # what each model is scored as
DEFAULT_IDS = {"occupancy": "q3_implicit", "parametric": "q3_parametric"}  # the training scripts' default --id


def get_args_parser():
    p = argparse.ArgumentParser(description="Evaluate an implicit or parametric image -> 3D model on the test split "
                                            "(writeup 3.1, 3.2)")
    p.add_argument("--model_type", choices=list(TYPES), required=True,
                   help="occupancy (q3_train_implicit.py) or parametric (q3_train_parametric.py)")
    p.add_argument("--type", choices=["vox", "point", "mesh"], required=True,
                   help="what is scored: vox for occupancy (surface of the queried grid); point or mesh for parametric")
    p.add_argument("--id", default=None,
                   help="run name: results go to {output_dir}/{id}/; when not given, the training script's id: "
                        "q3_implicit for --model_type occupancy, q3_parametric for parametric")
    p.add_argument("--output_dir", default="./test_outputs", help="root folder of results; the default is the writeup's")
    p.add_argument("--checkpoint_path", required=True, help="checkpoint written by q3_train_implicit.py or q3_train_parametric.py")
    p.add_argument("--eval_res", type=int, default=None,
                   help="occupancy only: resolution of the query grid over the cube [-0.5, 0.5]^3 (not given: 32; 64, 128 ...)")
    p.add_argument("--isovalue", type=isovalue_arg, default=None, help="occupancy only: " + ISOVALUE_HELP)
    p.add_argument("--n_points", type=int, default=None,
                   help="parametric only: points of the regular UV grid, rounded to a square per patch "
                        "(not given: the checkpoint's --n_points)")
    p.add_argument("--chunk", type=int, default=QUERY_CHUNK,
                   help="occupancy only: most query points per decoder pass (bounds memory at any --eval_res)")
    return add_common_eval_args(p)


def check_args(args):
    """One-line errors for flag combinations that do not fit the model type; fills in the default --id."""
    if args.id is None:
        args.id = DEFAULT_IDS[args.model_type]
    if args.type not in TYPES[args.model_type]:
        raise InputError(f"--model_type {args.model_type} is scored as --type {' or '.join(TYPES[args.model_type])}, "
                         f"not {args.type}")
    if args.model_type == "occupancy" and args.n_points is not None:
        raise InputError("--n_points applies to --model_type parametric; the occupancy grid's size is --eval_res")
    if args.model_type == "parametric" and args.eval_res is not None:
        raise InputError("--eval_res applies to --model_type occupancy; the parametric grid's size is --n_points")
    if args.isovalue not in (None, "auto"):
        iso_shift(args.isovalue)  # its range check, before any loading
    if args.model_type == "parametric" and args.isovalue is not None:
        raise InputError("--isovalue applies to --model_type occupancy; a parametric surface has no level to cut")
    check_at_least(args, "eval_res", minimum=2)
    check_at_least(args, "n_points", "chunk")
    check_eval_args(args)


def main(args):
    check_args(args)
    device = pick_device(args.device)
    model, train_args, ckpt = load_model(args.checkpoint_path, device, expect={"model_type": args.model_type})
    note_classes(train_args, args)

    eval_res = args.eval_res or 32
    n_points = None
    if args.model_type == "parametric":
        n_points = args.n_points if args.n_points is not None else train_args.n_points
    name = metrics_name(args.type, args.model_type, eval_res, args.isovalue)
    isovalue, cut = 0.5, {}
    if args.model_type == "occupancy":
        isovalue, cut = resolve_isovalue(args, model, args.type, device, train_args.load_feat, eval_res, args.chunk)
    predict = make_predict(model, args.type, device, eval_res, n_points, args.chunk, isovalue)
    if args.model_type == "occupancy":
        setting = {"eval_res": eval_res, **cut}
    else:
        setting = {"n_points": model.grid_side(n_points) ** 2 * len(model.patches), "n_patches": len(model.patches)}

    dataset, loader, out_dir, vis_dir = evaluated_split(args, train_args.load_feat)
    results, per_second = evaluate(predict, loader, device, vis_dir, args.vis_freq, title=f"{args.id} {name}")
    summary, path = write_metrics(results, out_dir, name, {
        "id": args.id, "model_type": args.model_type, "type": args.type, **setting,
        "checkpoint": os.path.abspath(args.checkpoint_path), "step": ckpt["step"], "split": args.split,
        "dataset": dataset.dataset_dir, "views": "all" if args.all_views else "one",
        "classes": classes_label(dataset.synsets),
    }, synsets=dataset.example_synsets())
    save_shapes(make_predict(model, args.type, device, eval_res, n_points, args.chunk, isovalue, with_iou=False),
                dataset, results, shapes_path(out_dir, name), args.vis_freq)  # the report page's 3D views
    print_summary(summary, path, per_second, device)
    return summary


if __name__ == "__main__":
    sys.exit(cli.run(main, get_args_parser().parse_args()))
