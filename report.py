"""Reproduce the whole writeup in one folder: every section's commands, run as typed, and the report page.

    python report.py --out report_demo --budget demo            # about 36 minutes on 2 CPU cores (make demo)
    python report.py --out report_quick --budget quick          # the same sections on an AVX2 laptop (make demo BUDGET=quick)
    python report.py --out report_full --budget full            # the writeup's exact commands (GPU hours)
    python report.py --out /tmp/r --steps 3 --batch_size 2      # a smoke run: every stage, 3 steps each
    python report.py --out report_all --classes all             # the thirteen R2N2 classes: point and occupancy
                                                                # models, per-class tables, about 30 min on 2 cores

Each stage is a process of the real script (fit_data.py, train_model.py, eval_model.py, baselines.py,
compare.py, gradcam.py, q3_train_implicit.py, q3_train_parametric.py, eval_q3.py) started with the
writeup's own command line, in the folder --out, so the writeup's relative paths (./output, ./outputs,
./test_outputs) all land inside it: one folder is one whole reproduction. The stages start forked from a process
that imported torch and PyTorch3D once (launcher.py), each as `python X.py` would run it, 4-5 s sooner. A budget
only appends flags (--max_iter, --batch_size, --num_workers, --device; --vis_freq so that a few test examples are drawn),
and the page shows every command exactly as it ran.

Before the first stage it says how long the budget will take on this machine: the minutes measured for it
(MEASURED), scaled by one encoder training step timed here (runtime.step_seconds, a few seconds), and suggests
--budget quick where the demo would take over 45 minutes.

Resumable: a stage whose command is unchanged and whose outputs exist is reused, so a rerun after Ctrl-C
continues where it stopped (an interrupted training resumes from its checkpoint) and a finished report
rebuilds its page in seconds. Writes {out}/index.html (opens offline: relative links only), its twin
{out}/report.md, the log of every stage in {out}/logs/, and {out}/stages.json.
"""
import argparse
import json
import os
import shlex
import sys
import time

import cli
from dataset_location import resolve_dataset_dir
from launcher import Launcher
from page.report_page import classes_models, classes_sections, published_models, writeup_metrics, write_page
from protocols import PROTOCOLS
from r2n2_layout import SYNSET, classes_label, parse_classes, read_split
from results import BASELINES as BASELINE_NAMES, METRICS_VERSION, metrics_name
from runtime import atomic_write, cpu_kind, fast_bf16, pick_device, step_seconds

REPO = os.path.dirname(os.path.abspath(__file__))
N_POINTS_STUDY = (500, 1000, 2500, 5000)

# Writeup commands, as typed (tests/writeup.md); <ckpt> is filled in with the checkpoint the training wrote.
FIT = "python fit_data.py --type '{t}' --save_dir \"./output\" --save_predictions --save_visualizations"
TRAIN = {
    "vox": "python train_model.py --type 'vox' --id 'q2' --batch_size 64 --save_freq 500 --output_dir=./outputs --max_iter 10000 --vis_freq 250 --num_workers 4",
    "point": "python train_model.py --type 'point' --id 'q2' --batch_size 8 --save_freq 500 --output_dir=./outputs --max_iter 10000 --vis_freq 250 --num_workers 4",
    "mesh": "python train_model.py --type 'mesh' --id 'q2' --batch_size 8 --save_freq 500 --output_dir=./outputs --max_iter 10000 --vis_freq 250 --num_workers 4",
}
EVAL = "python eval_model.py --type '{t}' --id 'q2' --output_dir \"./test_outputs\" --checkpoint_path \"<ckpt>\" --vis_freq 100"
# The writeup's evaluation cuts a surface where it scores best on val (the models' probabilities are calibrated to
# their loss, not to 0.5); the writeup's fixed 0.5 is scored too.
EVAL_VOX_FIXED = "python eval_model.py --type 'vox' --id 'q2' --output_dir \"./test_outputs\" --checkpoint_path \"<ckpt>\" --isovalue 0.5"
TRAIN_N = "python train_model.py --type 'point' --id 'q2_{n}' --batch_size 8 --output_dir=./outputs --max_iter 5000 --num_workers 4 --n_points {n}"
EVAL_N = "python eval_model.py --type 'point' --id 'q2_{n}' --output_dir \"./test_outputs\" --checkpoint_path \"<ckpt>\" --n_points {n}"
GRADCAM = "python gradcam.py --type {t} --checkpoint_path <ckpt> --max_iter 10  --visualizer gradcam++ --output_dir ./output/gradcam++_visualizations/{t}"
TRAIN_IMPLICIT = "python q3_train_implicit.py --id 'q3_implicit' --batch_size 32  --output_dir ./output --max_iter 10000 --num_workers 4 --num_points_to_sample 10000"
EVAL_IMPLICIT = "python eval_q3.py --id 'q3_implicit' --model_type \"occupancy\" --type 'vox' --output_dir \"./test_outputs\" --checkpoint_path <ckpt>"
EVAL_IMPLICIT_FIXED = EVAL_IMPLICIT + " --isovalue 0.5"
TRAIN_PARAMETRIC = "python q3_train_parametric.py --type 'point' --model_type parametric --id 'q3_parametric' --batch_size 32 --save_freq 500 --output_dir ./output --max_iter 10000 --num_workers 4"
EVAL_PARAMETRIC = "python eval_q3.py  --type '{t}' --model_type parametric --id 'q3_parametric' --output_dir \"./test_outputs\" --checkpoint_path <ckpt>"
# Every model's numbers under a published protocol beside that paper's chair rows (the page's last section).
PUBLISHED = "python compare.py {files} --protocol {protocol} --out test_outputs/published"
BASELINES = "python baselines.py --output_dir ./test_outputs --id baselines --checkpoint_path <ckpt>"
# --classes other than chair: one model of each kind on all the classes together (the papers' practice), scored per
# class beside the baselines and the published chair and mean-over-classes rows (its own page).
CLASSES_TRAIN_POINT = "python train_model.py --type point --id all_point --classes {c} --batch_size 8 --output_dir ./outputs --max_iter 10000 --num_workers 4"
CLASSES_EVAL_POINT = "python eval_model.py --type point --id all_point --classes {c} --output_dir ./test_outputs --checkpoint_path <ckpt>"
CLASSES_TRAIN_IMPLICIT = "python q3_train_implicit.py --id all_implicit --classes {c} --batch_size 32 --output_dir ./output --max_iter 10000 --num_workers 4 --num_points_to_sample 10000"
CLASSES_EVAL_IMPLICIT = "python eval_q3.py --id all_implicit --model_type occupancy --type vox --classes {c} --output_dir ./test_outputs --checkpoint_path <ckpt>"
CLASSES_BASELINES = "python baselines.py --output_dir ./test_outputs --id all_baselines --classes {c} --checkpoint_path <ckpt>"
CLASSES_COMPARE = "python compare.py {files} --per_class --protocol {protocol} --out test_outputs/all_classes"

# What a budget appends. demo: 30-42 minutes on 2 CPU cores, measured (RESULTS.md, run times of make demo); every
# model trains at batch 16 so the steps compare. At these lengths the point decoder beats retrieval at F1@0.05 on
# the embedded chairs (not at 0.03), the mesh decoder is level with it and the voxel decoder behind (RESULTS.md).
BUDGETS = {
    "full": {"fit": None, "steps": {}, "batch": {}, "workers": None, "gradcam_examples": None, "subsample": None,
             "queries": None, "amp": None, "classes_steps": {}},
    "demo": {
        "fit": 300,
        "steps": {"vox": 800, "point": 800, "mesh": 600, "n_points": 100, "implicit": 300, "parametric": 400},
        "batch": {"vox": 16, "point": 16, "mesh": 16, "n_points": 16, "implicit": 16, "parametric": 16},
        "workers": 1,
        "gradcam_examples": 3,
        "subsample": 300,  # baselines' cheap passes: the constant's choice takes a minute instead of three
        "queries": 2048,  # implicit training queries per chair, as equal_time.py (the writeup's 10000: 5x the decoder's work)
        # bfloat16 autocast where the device has bfloat16 kernels (runtime.fast_bf16): on this project's CPU a
        # step takes 1/1.7 (vox, mesh) to 1/1.3 (point) of float32's at the same val F1 (vox, 400 steps: 57.0 vs
        # 56.9); the time saved buys steps. Elsewhere the demo trains in float32 (then expect it to take longer).
        "amp": "bf16",
        # --classes all: the point and the occupancy model on the thirteen embedded classes (624 training models)
        "classes_steps": {"point": 1500, "implicit": 600},
    },
}
# quick: every section again for a CPU without bfloat16 kernels (AVX2 laptops: the demo would take 80-90 minutes
# there): a third of the demo's steps at half its batch, shorter fits, the baselines' cheap passes on fewer chairs,
# one GradCAM++ example. Models this short may not beat the baselines: the page shows them side by side.
BUDGETS["quick"] = dict(
    BUDGETS["demo"], fit=100, gradcam_examples=1, subsample=100, queries=1024,
    steps={"vox": 300, "point": 300, "mesh": 250, "n_points": 40, "implicit": 150, "parametric": 150},
    batch=dict.fromkeys(BUDGETS["demo"]["batch"], 8), classes_steps={"point": 500, "implicit": 200})
# How long each budget took on a named machine, and the encoder step there (runtime.step_seconds at the budget's
# batch and precision): report.py scales the minutes of the run in its own precision (bfloat16 where the CPU has the
# kernels, float32 elsewhere: the other stages do not speed up alike) by this machine's step to say how long it will
# take here. An estimate: the evaluations, fits and baselines do not scale exactly as the step does.
MEASURED = {
    "demo": [
        {"minutes": 36, "step": 0.30, "batch": 16, "precision": "bfloat16",
         "where": "2 Intel Xeon cores, 2303b46 (RESULTS.md)"},
        {"minutes": 61, "step": 0.49, "batch": 16, "precision": "float32",
         "where": "2 Intel Xeon cores emulating AVX2 (make demo CPU=avx2), 6568e29 (RESULTS.md)"},
    ],
    "quick": [
        {"minutes": 25, "step": 0.35, "batch": 8, "precision": "float32",
         "where": "2 Intel Xeon cores emulating AVX2 (make demo BUDGET=quick CPU=avx2), 2efdc57 (RESULTS.md)"},
    ],
}
SUGGEST_QUICK_ABOVE = 45  # minutes of the demo budget beyond which report.py suggests --budget quick


def measured_run(budget, precision):
    """The MEASURED run of `budget` made in `precision` ("bfloat16" or "float32"), else its first; None if none."""
    runs = MEASURED.get(budget, [])
    return next((run for run in runs if run["precision"] == precision), runs[0] if runs else None)


def announce(args, amp):
    """Say how long the budget will take here, before the first stage: (one line, minutes or None)."""
    precision = "bfloat16" if amp else "float32"
    measured = measured_run(args.budget, precision)
    if measured is None or args.steps is not None or args.batch_size is not None:
        return None
    device = pick_device(args.device)
    step = step_seconds(device, amp, batch=measured["batch"])
    minutes = measured["minutes"] * step / measured["step"]
    print(f"budget {args.budget}: about {minutes:.0f} min here (an encoder step takes {step:.2f} s here in {precision} on "
          f"{cpu_kind()}, {measured['step']:.2f} s where the budget took {measured['minutes']} min in "
          f"{measured['precision']}: {measured['where']})", flush=True)
    quick = measured_run("quick", precision)
    if args.budget == "demo" and minutes > SUGGEST_QUICK_ABOVE:
        quick_minutes = quick["minutes"] * step_seconds(device, amp, batch=quick["batch"]) / quick["step"]
        print(f"tip: that is long; `make demo BUDGET=quick` (python report.py --budget quick) runs every section in about "
              f"{quick_minutes:.0f} min here, with shorter training", flush=True)
    return minutes


def get_args_parser():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--out", required=True, help="folder of the whole reproduction (created; reused on a rerun)")
    p.add_argument("--budget", choices=list(BUDGETS), default="demo",
                   help="full: the writeup's exact commands; demo: about 36 minutes on 2 CPU cores with bfloat16 "
                        "kernels (AVX-512, AMX); quick: every section on a laptop without them (AVX2, Apple silicon)")
    p.add_argument("--steps", type=int, default=None, help="override every training and fitting length (smoke runs)")
    p.add_argument("--batch_size", type=int, default=None, help="override every training batch size")
    p.add_argument("--num_workers", type=int, default=None, help="override every data loader's worker count")
    cli.add_device_and_dataset_args(p)
    return p


class Stages:
    """Runs the stages one by one, each a logged process in --out, and remembers what finished.

    stages.json maps a stage name to its command, the files it must leave, its seconds and whether it
    finished; a stage is reused when all three still hold.
    """

    def __init__(self, out, env, total):
        self.out, self.env, self.total, self.k = out, env, total, 0
        self.path = os.path.join(out, "stages.json")
        self.state = json.load(open(self.path)) if os.path.isfile(self.path) else {}
        os.makedirs(os.path.join(out, "logs"), exist_ok=True)
        self.launcher = Launcher()

    def run(self, name, cmd, outputs, section, resume_ckpt=None, version=None):
        """Run `cmd` (a command line starting with `python script.py`, or with_flags' pair of the command as typed and
        the flags the budget appends) unless it already finished. version: what the outputs hold
        (results.METRICS_VERSION for an evaluation), so that files an older evaluator wrote under the same command
        are made again."""
        typed, budget = cmd if isinstance(cmd, tuple) else (cmd, "")
        cmd = f"{typed} {budget}".rstrip()
        self.k += 1
        done = self.state.get(name, {})
        if (done.get("cmd") == cmd and done.get("finished") and done.get("version") == version
                and all(os.path.exists(os.path.join(self.out, o)) for o in outputs)):
            print(f"[{self.k}/{self.total}] {name}: reused ({done['seconds']:.0f} s when it ran)", flush=True)
            if done.get("typed") != typed:  # a stage from before the typed command was kept apart
                done.update(typed=typed, budget=budget)
                self._save()
            return done
        argv = shlex.split(cmd)
        argv = [os.path.join(REPO, argv[1])] + argv[2:]
        if resume_ckpt and done.get("cmd") == cmd and os.path.isfile(os.path.join(self.out, resume_ckpt)):
            argv.append("--load_checkpoint")  # an interrupted training continues from its last checkpoint
        self.state[name] = {"cmd": cmd, "typed": typed, "budget": budget, "section": section, "outputs": outputs,
                            "finished": False, "seconds": 0.0, "version": version}
        self._save()
        print(f"[{self.k}/{self.total}] {name}: {cmd}", flush=True)
        log = os.path.join(self.out, "logs", f"{name}.log")
        t0 = time.time()
        try:
            code = self.launcher.run(argv, self.out, self.env, log)  # stdout and stderr to the log
        except KeyboardInterrupt:  # the stage had the Ctrl-C too and has ended (a training saved its steps)
            code = 130
        seconds = time.time() - t0
        if code == 130:
            raise SystemExit(f"\ninterrupted in stage {name}; rerun the same command to continue where it stopped")
        if code != 0:
            tail = open(log).read().strip().splitlines()[-15:]
            raise SystemExit("\n".join(tail) + f"\nerror: stage {name} failed (exit {code}); its log is {log}")
        missing = [o for o in outputs if not os.path.exists(os.path.join(self.out, o))]
        if missing:
            raise SystemExit(f"error: stage {name} finished but did not write {missing[0]}; its log is {log}")
        self.state[name].update(finished=True, seconds=seconds)
        self._save()
        print(f"[{self.k}/{self.total}] {name}: done in {seconds:.0f} s", flush=True)
        return self.state[name]

    def _save(self):
        atomic_write(self.path, lambda tmp: json.dump(self.state, open(tmp, "w"), indent=1))


def with_flags(cmd, **flags):
    """(the command as typed, the flags the budget appends): `--flag value` for every flag that is set, after those
    `cmd` (a command, or such a pair) already has; argparse keeps the last value, so they override the typed ones."""
    typed, extra = cmd if isinstance(cmd, tuple) else (cmd, "")
    more = " ".join(f"--{k} {v}" for k, v in flags.items() if v is not None)
    return typed, f"{extra} {more}".strip()


def main(args):
    if parse_classes(args.classes) != [SYNSET]:
        return main_classes(args)
    budget = BUDGETS[args.budget]
    cli.check_at_least(args, "steps", "batch_size")
    cli.check_at_least(args, "num_workers", minimum=0)
    dataset_dir = resolve_dataset_dir(args.dataset_dir)
    n_test = len(read_split(dataset_dir, "test"))
    out = os.path.abspath(args.out)
    os.makedirs(out, exist_ok=True)
    env = dict(os.environ, R2N2_DATASET_DIR=dataset_dir, MPLBACKEND="Agg", PYTHONUNBUFFERED="1")
    vis = max(1, n_test // 4)  # four Input | Prediction | Target examples per model on the page

    def steps(kind):
        return args.steps if args.steps is not None else budget["steps"].get(kind)

    def batch(kind):
        return args.batch_size if args.batch_size is not None else budget["batch"].get(kind)

    workers = args.num_workers if args.num_workers is not None else budget["workers"]
    amp = budget["amp"] if budget["amp"] and fast_bf16(args.device) else None
    estimate = announce(args, amp)
    train = lambda cmd, kind: with_flags(cmd, max_iter=steps(kind), batch_size=batch(kind), num_workers=workers,
                                        device=args.device, amp=amp)
    evaluate = lambda cmd, ckpt: with_flags(cmd.replace("<ckpt>", ckpt), vis_freq=vis, num_workers=workers,
                                           device=args.device)

    total = 3 + 7 + 1 + 1 + 2 * len(N_POINTS_STUDY) + 1 + 3 + 3 + 3 + len(PROTOCOLS)
    st = Stages(out, env, total)
    t_start = time.time()
    for t in ("vox", "point", "mesh"):  # 1.1-1.3
        fit_steps = args.steps if args.steps is not None else budget["fit"]
        st.run(f"fit_{t}", with_flags(FIT.format(t=t), max_iter=fit_steps, device=args.device),
               [f"output/fit_{t}.png", f"output/fit_{t}.gif"], f"1.{('vox', 'point', 'mesh').index(t) + 1}")
    ckpts = {}
    for i, t in enumerate(("vox", "point", "mesh")):  # 2.1-2.3
        ckpts[t] = f"outputs/q2/checkpoint_{t}.pth"
        st.run(f"train_{t}", train(TRAIN[t], t), [ckpts[t], f"outputs/q2/loss_{t}.png"], f"2.{i + 1}",
               resume_ckpt=ckpts[t])
        st.run(f"eval_{t}", evaluate(EVAL.format(t=t), ckpts[t]), [writeup_metrics("q2", metrics_name(t))], f"2.{i + 1}",
               version=METRICS_VERSION)
        if t == "vox":
            st.run("eval_vox_fixed", evaluate(EVAL_VOX_FIXED, ckpts[t]),
                   [writeup_metrics("q2", metrics_name(t, isovalue=0.5))], "2.1", version=METRICS_VERSION)
    st.run("baselines", with_flags(BASELINES.replace("<ckpt>", ckpts["vox"]), num_workers=workers, device=args.device,
                                   subsample=budget["subsample"]),
           [writeup_metrics("baselines", b) for b in BASELINE_NAMES], "2.4", version=METRICS_VERSION)
    st.run("compare", "python compare.py " + " ".join(writeup_metrics("q2", metrics_name(t)) for t in ("vox", "point", "mesh"))
           + " --out test_outputs/comparison", ["test_outputs/comparison/f1_curves.png"], "2.4", version=METRICS_VERSION)
    for n in N_POINTS_STUDY:  # 2.5
        ckpt = f"outputs/q2_{n}/checkpoint_point.pth"
        st.run(f"train_point_{n}", train(TRAIN_N.format(n=n), "n_points"), [ckpt], "2.5", resume_ckpt=ckpt)
        st.run(f"eval_point_{n}", evaluate(EVAL_N.format(n=n), ckpt), [writeup_metrics(f"q2_{n}", metrics_name("point"))], "2.5",
               version=METRICS_VERSION)
    st.run("compare_n_points", "python compare.py " + " ".join(writeup_metrics(f"q2_{n}", metrics_name("point")) for n in N_POINTS_STUDY)
           + " --label n_points --out test_outputs/n_points_study", ["test_outputs/n_points_study/f1_curves.png"], "2.5",
           version=METRICS_VERSION)
    for t in ("vox", "point", "mesh"):  # 2.6
        examples = budget["gradcam_examples"] if args.steps is None else 1
        st.run(f"gradcam_{t}", with_flags(GRADCAM.format(t=t).replace("<ckpt>", ckpts[t]), max_iter=examples, device=args.device),
               [f"output/gradcam++_visualizations/{t}/summary.json"], "2.6")
    implicit = "output/q3_implicit/checkpoint_implicit.pth"  # 3.1
    st.run("train_implicit", with_flags(train(TRAIN_IMPLICIT, "implicit"), num_points_to_sample=budget["queries"]),
           [implicit], "3.1", resume_ckpt=implicit)
    st.run("eval_implicit", evaluate(EVAL_IMPLICIT, implicit),
           [writeup_metrics("q3_implicit", metrics_name("vox", "occupancy"))], "3.1", version=METRICS_VERSION)
    st.run("eval_implicit_fixed", evaluate(EVAL_IMPLICIT_FIXED, implicit),
           [writeup_metrics("q3_implicit", metrics_name("vox", "occupancy", isovalue=0.5))], "3.1", version=METRICS_VERSION)
    parametric = "output/q3_parametric/checkpoint_parametric.pth"  # 3.2
    st.run("train_parametric", train(TRAIN_PARAMETRIC, "parametric"), [parametric], "3.2", resume_ckpt=parametric)
    for t in ("point", "mesh"):
        st.run(f"eval_parametric_{t}", evaluate(EVAL_PARAMETRIC.format(t=t), parametric),
               [writeup_metrics("q3_parametric", metrics_name(t, "parametric"))], "3.2", version=METRICS_VERSION)

    files = " ".join(path for _, path in published_models())  # every model and baseline under each published protocol
    for p in PROTOCOLS:
        st.run(f"published_{p}", PUBLISHED.format(files=files, protocol=p), [f"test_outputs/published/protocol_{p}.md"],
               "published", version=METRICS_VERSION)

    st.launcher.close()
    info = {"command": "python " + " ".join(shlex.quote(a) for a in ["report.py"] + sys.argv[1:]), "budget": args.budget, "steps": args.steps, "batch_size": args.batch_size, "device": args.device, "amp": amp,
            "dataset": dataset_dir, "n_test": n_test, "wall_seconds": time.time() - t_start, "cpu": cpu_kind(),
            "estimate_minutes": estimate}
    html, md = write_page(out, st.state, info)
    print(f"report: {html} (and {md})")


def main_classes(args):
    """--classes other than chair: train the point and the occupancy model on every class at once, evaluate them and
    the baselines per class, and write the thirteen-class page."""
    budget = BUDGETS[args.budget]
    cli.check_at_least(args, "steps", "batch_size")
    cli.check_at_least(args, "num_workers", minimum=0)
    classes = classes_label(parse_classes(args.classes))
    dataset_dir = resolve_dataset_dir(args.dataset_dir, classes=args.classes)
    n_test = sum(len(read_split(dataset_dir, "test", s)) for s in parse_classes(args.classes))
    out = os.path.abspath(args.out)
    os.makedirs(out, exist_ok=True)
    env = dict(os.environ, R2N2_DATASET_DIR=dataset_dir, MPLBACKEND="Agg", PYTHONUNBUFFERED="1")
    workers = args.num_workers if args.num_workers is not None else budget["workers"]
    amp = budget["amp"] if budget["amp"] and fast_bf16(args.device) else None
    steps = lambda kind: args.steps if args.steps is not None else budget["classes_steps"].get(kind)
    batch = lambda kind: args.batch_size if args.batch_size is not None else budget["batch"].get(kind)
    train = lambda cmd, kind: with_flags(cmd.format(c=classes), max_iter=steps(kind), batch_size=batch(kind),
                                        num_workers=workers, device=args.device, amp=amp)
    evaluate = lambda cmd, ckpt: with_flags(cmd.format(c=classes).replace("<ckpt>", ckpt), vis_freq=max(1, n_test // 4),
                                           num_workers=workers, device=args.device)
    st = Stages(out, env, 6 + 1 + len(PROTOCOLS))
    t_start = time.time()
    point, implicit = "outputs/all_point/checkpoint_point.pth", "output/all_implicit/checkpoint_implicit.pth"
    st.run("train_point", train(CLASSES_TRAIN_POINT, "point"), [point], "classes", resume_ckpt=point)
    st.run("eval_point", evaluate(CLASSES_EVAL_POINT, point), [writeup_metrics("all_point", "point")], "classes",
           version=METRICS_VERSION)
    st.run("train_implicit", with_flags(train(CLASSES_TRAIN_IMPLICIT, "implicit"), num_points_to_sample=budget["queries"]),
           [implicit], "classes", resume_ckpt=implicit)
    st.run("eval_implicit", evaluate(CLASSES_EVAL_IMPLICIT, implicit),
           [writeup_metrics("all_implicit", metrics_name("vox", "occupancy"))], "classes", version=METRICS_VERSION)
    st.run("baselines", with_flags(CLASSES_BASELINES.format(c=classes).replace("<ckpt>", point), num_workers=workers,
                                   device=args.device, subsample=budget["subsample"]),
           [writeup_metrics("all_baselines", b) for b in BASELINE_NAMES], "classes", version=METRICS_VERSION)
    files = " ".join(path for _, path in classes_models())
    for p in ("writeup", *PROTOCOLS):
        st.run(f"per_class_{p}", CLASSES_COMPARE.format(files=files, protocol=p),
               [f"test_outputs/all_classes/per_class_{p}.md"], "classes", version=METRICS_VERSION)
    st.launcher.close()
    info = {"command": "python " + " ".join(shlex.quote(a) for a in ["report.py"] + sys.argv[1:]), "budget": args.budget,
            "steps": args.steps, "batch_size": args.batch_size, "device": args.device, "amp": amp, "classes": classes,
            "dataset": dataset_dir, "n_test": n_test, "wall_seconds": time.time() - t_start}
    html, md = write_page(out, st.state, info, classes_sections)
    print(f"report: {html} (and {md})")


if __name__ == "__main__":
    sys.exit(cli.run(main, get_args_parser().parse_args()))
