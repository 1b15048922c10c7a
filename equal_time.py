"""Equal training time: is a section-3 decoder better than the simpler one it replaces, given the same seconds?

    python equal_time.py --out equal_time --pair implicit --seconds 900 --segment 200 --amp bf16
    python equal_time.py --out equal_time --pair parametric --seconds 600 --segment 200

--pair implicit:   the voxel decoder (train_model.py --type vox, the reference) against the occupancy
                   network (q3_train_implicit.py --decoder, pixel by default), scored at --eval_res.
--pair parametric: the point decoder (train_model.py --type point, the reference) against AtlasNet with
                   1 patch (the writeup's fold), 25 patches (AtlasNet's squares), and 25 patches with
                   --refine pixel (atlasnet_25_pixel), points and mesh.

Why this protocol: a decoder that costs more per step must be compared at equal time, not equal steps,
and every choice is made on val. Each model trains in segments of --segment steps (the segments are one
run: --load_checkpoint resumes it exactly), each segment's checkpoint is kept and scored on the val split,
and training stops once --seconds of training time are spent (the implicit model's labelled query pool,
occupancy.QueryPool, is made first and outside every clock, as the split caches are: data preparation,
done once per dataset). T is the training time at which the
reference first reaches its best val F1@0.05; each model's checkpoint is its best on val among those
trained for at most T seconds; a model with an inside (voxels, occupancy) is cut at the isovalue its
checkpoint scores best on val (--isovalue auto: the losses calibrate the two differently, and a fixed 0.5
would compare calibrations, not shapes); only those are scored on the test split, once, beside the baselines
(baselines.py with the reference's encoder for retrieval). Every stage runs the repo's own scripts as
subprocesses; the folder is resumable (a finished segment or evaluation is reused; a segment stopped by
Ctrl-C resumes from its checkpoint, and its time then counts from the resumption only, so rerun it whole for
an exact time).
Writes {out}/{pair}/curve.json (every segment's val scores), table.md and table.json (the test scores).
"""
import argparse
import json
import os
import re
import shutil
import sys

import numpy as np

import cli
from launcher import Launcher
from occupancy import NEAR_SIGMA, QueryPool
from r2n2_custom import R2N2
from results import (BASELINES, difference_sentence, interval_text, metrics_name, metrics_path, paired_difference,
                     read_metrics, table_cells, table_headers, table_numbers)
from runtime import atomic_write

PY = sys.executable
LAUNCHER = Launcher()  # the stages start forked from a process that imported torch and PyTorch3D once


def models_of(args):
    """name -> (training argv without --max_iter, {kind: evaluation argv template}, checkpoint file name,
    {kind: the name of the metrics file that evaluation writes}); the reference first. In a template "<ckpt>",
    "<split>" and "<out>" stand for the checkpoint, the split and the output folder of one evaluation."""
    data = (["--dataset_dir", args.dataset_dir] if args.dataset_dir else []) + ["--classes", args.classes]
    runs = os.path.join(args.out, args.pair, "runs")
    common = ["--output_dir", runs, "--batch_size", str(args.batch_size), "--num_workers", str(args.num_workers),
              "--device", args.device, "--vis_freq", "0", "--save_freq", "0", "--amp", args.amp, "--ema", str(args.ema)] + data

    def scored(script, name, *flags):
        return [PY, script, *flags, "--id", name, "--checkpoint_path", "<ckpt>", "--split", "<split>",
                "--output_dir", "<out>", "--vis_freq", "0", "--num_workers", str(args.num_workers),
                "--device", args.device] + data

    if args.pair == "implicit":
        implicit = f"implicit_{args.decoder}"
        return {
            "vox": ([PY, "train_model.py", "--type", "vox", "--id", "vox"] + common,
                    {"vox": scored("eval_model.py", "vox", "--type", "vox", "--isovalue", "auto")}, "checkpoint_vox.pth",
                    {"vox": metrics_name("vox", isovalue="auto")}),
            implicit: ([PY, "q3_train_implicit.py", "--id", implicit, "--decoder", args.decoder,
                        "--num_points_to_sample", str(args.queries)] + common,
                       {"vox": scored("eval_q3.py", implicit, "--model_type", "occupancy", "--type", "vox",
                                      "--eval_res", str(args.eval_res), "--isovalue", "auto")},
                       "checkpoint_implicit.pth", {"vox": metrics_name("vox", "occupancy", args.eval_res, "auto")}),
        }
    models = {"point": ([PY, "train_model.py", "--type", "point", "--id", "point"] + common,
                        {"point": scored("eval_model.py", "point", "--type", "point")}, "checkpoint_point.pth",
                        {"point": metrics_name("point")})}
    for n, refine in ((1, "none"), (25, "none"), (25, "pixel")):
        name = f"atlasnet_{n}" + ("_pixel" if refine == "pixel" else "")
        models[name] = ([PY, "q3_train_parametric.py", "--type", "point", "--model_type", "parametric", "--id", name,
                         "--n_patches", str(n), "--refine", refine] + common,
                        {t: scored("eval_q3.py", name, "--model_type", "parametric", "--type", t) for t in ("point", "mesh")},
                        "checkpoint_parametric.pth",
                        {t: metrics_name(t, "parametric") for t in ("point", "mesh")})
    return models


def run(argv, log):
    """Run one stage (`python script args`, forked from the launcher's preloaded process), its output appended to
    log; a failure stops with the stage's last lines."""
    with open(log, "a") as f:
        f.write("$ " + " ".join(argv) + "\n")
    stage_log = log + ".stage"
    try:
        code = LAUNCHER.run(argv[1:], os.getcwd(), None, stage_log)  # argv[0] is this interpreter
    except KeyboardInterrupt:  # the stage had the Ctrl-C too and has ended (a training saved its steps)
        code = 130
    stdout = open(stage_log).read()
    os.remove(stage_log)
    with open(log, "a") as f:
        f.write(stdout)
    if code != 0:
        tail = "\n".join(stdout.strip().splitlines()[-5:])
        raise SystemExit(f"error: a stage failed (exit {code}), see {log}:\n{tail}")
    return stdout


def evaluate(name, evals, files, ckpt, split, out, log):
    """{kind: metrics} of model `name`'s checkpoint on a split, reusing metrics already written for it."""
    scores = {}
    fill = {"<ckpt>": ckpt, "<split>": split, "<out>": out}
    for kind, template in evals.items():
        path = metrics_path(out, name, files[kind])
        if not os.path.isfile(path):
            run([fill.get(a, a) for a in template], log)
        scores[kind] = read_metrics(path)
    return scores


def train_curve(name, spec, args, folder, log):
    """Train `name` segment by segment until --seconds of training; each segment kept and scored on val."""
    train, evals, ckpt_name, files = spec
    curve_path = os.path.join(folder, f"curve_{name}.json")
    curve = json.load(open(curve_path)) if os.path.isfile(curve_path) else []
    while not curve or (curve[-1]["seconds"] < args.seconds and curve[-1]["step"] < args.max_steps):
        step = (curve[-1]["step"] if curve else 0) + args.segment
        argv = train + ["--max_iter", str(step)] + (["--load_checkpoint"] if curve else [])
        out = run(argv, log)
        took = re.findall(r"(\d+) steps in (\d+(?:\.\d+)?) s", out)
        if not took:
            raise SystemExit(f"error: no 'N steps in X s' line from the training of {name}; see {log}")
        kept = os.path.join(folder, "checkpoints", f"{name}_{step}.pth")
        os.makedirs(os.path.dirname(kept), exist_ok=True)
        shutil.copyfile(os.path.join(folder, "runs", name, ckpt_name), kept)
        val = evaluate(name, evals, files, kept, "val", os.path.join(folder, "val", f"{name}_{step}"), log)
        seconds = (curve[-1]["seconds"] if curve else 0.0) + float(took[-1][1])
        curve.append({"step": step, "seconds": seconds, "checkpoint": kept,
                      "val": {k: table_numbers(m) for k, m in val.items()}})
        atomic_write(curve_path, lambda tmp: json.dump(curve, open(tmp, "w"), indent=1))
        print(f"{name}: step {step}, {seconds:.0f} s of training, val "
              + ", ".join(f"{k} F1@0.05 {v['f1'][-1]:.1f}" for k, v in curve[-1]["val"].items()), flush=True)
    return curve


def main(args):
    if args.segment < 1 or args.seconds <= 0:
        raise SystemExit("error: --segment and --seconds must be positive")
    folder = os.path.join(args.out, args.pair)
    os.makedirs(folder, exist_ok=True)
    log = os.path.join(folder, "log.txt")
    specs = models_of(args)
    reference = next(iter(specs))
    if args.pair == "implicit":  # data preparation, as the split caches are: outside every model's clock
        QueryPool(R2N2("train", args.dataset_dir, classes=args.classes), NEAR_SIGMA, "auto")
    curves = {name: train_curve(name, spec, args, folder, log) for name, spec in specs.items()}

    ref_kind = next(iter(specs[reference][1]))
    ref_f1 = [c["val"][ref_kind]["f1"][-1] for c in curves[reference]]
    t_best = curves[reference][int(np.argmax(ref_f1))]["seconds"]  # argmax: the first segment at the best
    rows, chosen = [], {}
    for name, (_, evals, _, files) in specs.items():
        kind = next(iter(evals))  # checkpoints are chosen by the first kind's val F1@0.05
        within = [c for c in curves[name] if c["seconds"] <= t_best * 1.05] or curves[name][:1]
        best = max(within, key=lambda c: c["val"][kind]["f1"][-1])
        chosen[name] = best
        test = evaluate(name, evals, files, best["checkpoint"], "test", os.path.join(folder, "test", name), log)
        for k, m in test.items():
            rows.append({"model": name if len(test) == 1 else f"{name} {k}", "step": best["step"],
                         "seconds": best["seconds"], **table_numbers(m)})
    base_dir = os.path.join(folder, "test", "baselines")
    if not os.path.isfile(metrics_path(base_dir, "baselines", "oracle")):
        run([PY, "baselines.py", "--output_dir", base_dir, "--checkpoint_path", chosen[reference]["checkpoint"],
             "--num_workers", str(args.num_workers), "--device", args.device, "--subsample", "300"]
            + (["--dataset_dir", args.dataset_dir] if args.dataset_dir else []) + ["--classes", args.classes], log)
    for name in BASELINES:
        m = read_metrics(metrics_path(base_dir, "baselines", name))
        rows.append({"model": f"*{name}*", "step": None, "seconds": None, **table_numbers(m)})

    table = write_table(rows, folder, args, t_best, reference)
    atomic_write(os.path.join(folder, "table.json"),
                 lambda tmp: json.dump({"t_best": t_best, "reference": reference, "rows": rows, "curves": curves},
                                       open(tmp, "w"), indent=1))
    print(table)
    print(f"wrote {os.path.join(folder, 'table.md')}")


def write_table(rows, folder, args, t_best, reference):
    """The test table (markdown) with the paired differences of each model against the reference."""
    iou = any("iou_32" in r for r in rows if r["step"] is not None)  # a model with an inside; baselines alone do not count
    head = ["model", "steps", "train s", *table_headers(iou)]
    lines = [f"Equal training time, --pair {args.pair}: T = {t_best:.0f} s, when {reference} first reached its best "
             f"val F1@0.05 (segments of {args.segment} steps, batch {args.batch_size}); each model's checkpoint is its "
             "best on val within T, a surface's isovalue the best of its checkpoint on val; test scored once.", "",
             "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        label = r["model"] + (f" (isovalue {r['isovalue']:g})" if "isovalue" in r else "")
        cells = [label, "" if r["step"] is None else str(r["step"]), "" if r["seconds"] is None else f"{r['seconds']:.0f}",
                 *table_cells(r, iou)]
        lines.append("| " + " | ".join(cells) + " |")
    ref = rows[0]
    lines.append("")
    lines += ["- " + difference_sentence(r["model"], r["per_example"], ref["model"], ref["per_example"])
              for r in rows[1:]]
    # Each trained model against retrieval (the training chair whose image features are nearest), threshold by threshold.
    retrieval = next(r for r in rows if r["model"] == "*retrieval*")
    for r in (r for r in rows if r["step"] is not None):
        mean, ci = paired_difference(r["per_example_all"], retrieval["per_example_all"])  # (T,), (T, 2)
        cells = [f"{m:+.1f} {interval_text(c, sign='+')}" for m, c in zip(mean, ci)]
        above = sum(lo > 0 for lo, _ in ci)
        lines.append(f"- {r['model']} - *retrieval* at F1@0.01 ... 0.05: {', '.join(cells)} "
                     f"(above it at {above} of {len(ci)} thresholds).")
    text = "\n".join(lines) + "\n"
    atomic_write(os.path.join(folder, "table.md"), lambda tmp: open(tmp, "w").write(text))
    return text


def get_args_parser():
    p = argparse.ArgumentParser(description="Train two decoders for equal time, choose on val, score test once")
    p.usage, p.formatter_class = cli.USAGE, cli.Defaults
    p.add_argument("--out", required=True, help="folder of the runs, checkpoints, metrics and tables")
    p.add_argument("--pair", choices=["implicit", "parametric"], required=True,
                   help="implicit: vox vs occupancy network; parametric: point vs AtlasNet with 1 and 25 patches")
    p.add_argument("--seconds", type=float, default=900, help="training time per model (stop after the segment that passes it)")
    p.add_argument("--segment", type=int, default=200, help="steps between val evaluations")
    p.add_argument("--max_steps", type=int, default=100000, help="stop a model at this many steps whatever the time")
    p.add_argument("--batch_size", type=int, default=16, help="images per step, every model")
    p.add_argument("--queries", type=int, default=2048, help="implicit: query points per image per step")
    p.add_argument("--decoder", choices=["simple", "cbn", "grid", "pixel"], default="pixel", help="implicit: the occupancy decoder")
    p.add_argument("--eval_res", type=int, default=64, help="implicit: query grid of the occupancy evaluation")
    p.add_argument("--num_workers", type=int, default=1, help="data loader workers of every stage")
    p.add_argument("--amp", choices=["off", "bf16"], default="off",
                   help="autocast of every training (bf16 speeds the decoders up unequally, so it can change who wins)")
    p.add_argument("--ema", type=float, default=0.0,
                   help="every model: decay of the moving average of its weights that its checkpoints hold (0: none)")
    cli.add_device_and_dataset_args(p)
    return p


if __name__ == "__main__":
    sys.exit(cli.run(main, get_args_parser().parse_args()))
