"""The report page of report.py: the writeup's sections 1.1 ... 3.2 with their commands, pictures and tables.

Every number on the page is read from the metrics files the evaluators wrote (and the fits' logs), never
typed in; every table carries the baselines (constant chair, retrieval, oracle nearest neighbour) and
95 % intervals (bootstrap over the test chairs), and the text claims a difference only where its paired
interval excludes zero. The page is built as a list of blocks and rendered twice: index.html (relative
links only, so it opens offline from the folder) and report.md.
"""
import glob
import html
import os
import platform
import subprocess

import numpy as np
import torch

from page import view3d
from representations import REPRESENTATIONS
from protocols import PROTOCOLS
from results import (BASELINES, class_tables, difference_sentence, empty_note, metrics_name, metrics_path, shapes_path,
                     protocol_cells, protocol_headers, published_rows, read_metrics, table_cells, table_headers,
                     table_numbers)
from runtime import atomic_write

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# The writeup's reference avg F1@0.05, measured on the real R2N2 chairs (not on the embedded ones).
REFERENCE = {"vox": 90.406, "point": 94.938, "mesh": 90.006, 500: 82.991, 1000: 88.563, 2500: 92.098, 5000: 94.377}
HEADLINE = "2.4 Quantitative comparison"  # the section whose table the contents point to first
BASELINE_LABELS = dict(zip(BASELINES, ("constant chair", "retrieval (image feature)", "oracle nearest neighbour")))


def writeup_metrics(run_id, name):
    """metrics_{name}.json of the writeup's evaluation with --id run_id --output_dir ./test_outputs, relative to
    the report folder (report.py names the same files as its stages' outputs)."""
    return metrics_path("test_outputs", run_id, name)


def load_metrics(out, path):
    full = os.path.join(out, path)
    return read_metrics(full) if os.path.isfile(full) else None


def metrics_rows(out, models, state, reference=None):
    """A table block: each model (label, metrics path, training stage) and then the three baselines. Where a
    model has an inside (voxels, occupancy), two more columns give the volumetric IoU on the 32^3 grid and on
    points in the cube (metrics.occupancy_iou), for the baselines too."""
    found = [(label, load_metrics(out, path), train_stage) for label, path, train_stage in models]
    found = [f for f in found if f[1] is not None]
    iou = any("avg_iou_32" in m for _, m, _ in found)

    rows = []
    for label, m, train_stage in found:
        seconds = state.get(train_stage, {}).get("seconds") if train_stage else None
        ref = (reference or {}).get(label)
        if m.get("isovalue") is not None:
            label = f"{label} (isovalue {m['isovalue']:g}, " + (f"chosen on {m['isovalue_chosen_on']})"
                                                                 if m.get("isovalue_chosen_on") else "fixed)")
        rows.append([label, m.get("step", ""), f"{seconds:.0f}" if seconds else "",
                     *table_cells(table_numbers(m), iou), f"{ref:.1f}" if ref is not None else ""])
    for name in BASELINES:
        m = load_metrics(out, writeup_metrics("baselines", name))
        if m is not None:
            rows.append([f"*{BASELINE_LABELS[name]}*", "", "", *table_cells(table_numbers(m), iou), ""])
    return ("table", ["model", "train steps", "train s", *table_headers(iou), "writeup F1@0.05 (real R2N2)"], rows)


def differences(out, pairs):
    """Sentences for paired differences in F1@0.05 (same test chairs): a claim only where the interval excludes 0."""
    lines = []
    for (a_label, a_path), (b_label, b_path) in pairs:
        a, b = load_metrics(out, a_path), load_metrics(out, b_path)
        if a is not None and b is not None:
            lines.append(difference_sentence(a_label, a["per_example_f1@0.05"], b_label, b["per_example_f1@0.05"]))
    return lines


def pictures(out, pattern, limit=4):
    return sorted(os.path.relpath(p, out) for p in glob.glob(os.path.join(out, pattern)))[:limit]


def fit_summary(out, name):
    """The fit's closing line ("done in ... s: F1@0.01 ..., chamfer ...") from its log."""
    log = os.path.join(out, "logs", f"{name}.log")
    lines = [line for line in open(log).read().splitlines() if line.startswith("done in ")] if os.path.isfile(log) else []
    return lines[-1] if lines else ""


def commands(state, section):
    """The section's commands as a reader copies them: each as typed (the writeup's, the checkpoint filled in),
    then, on a comment line of its own, the flags the run's budget appended (argparse keeps the last value)."""
    lines = []
    for s in state.values():
        if s.get("section") == section:
            lines.append(s.get("typed", s["cmd"]))
            if s.get("budget"):
                lines.append(f"    # + budget: {s['budget']}")
    return "\n".join(lines)


def header(info, state):
    """Budget, device, dataset, commit and machine: what a reader needs to rerun the page."""
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=REPO, capture_output=True,
                               text=True).stdout.strip()
        commit = (commit or "unknown") + (" (with uncommitted changes)" if dirty else "")
    except OSError:
        commit = "unknown (no git)"
    machine = f"{platform.machine()}, {os.cpu_count()} CPU cores, {platform.system()}, torch {torch.__version__}"
    if torch.cuda.is_available():
        machine += f", GPU {torch.cuda.get_device_name(0)}"
    train_s = sum(s["seconds"] for k, s in state.items() if k.startswith("train_"))
    return [("p", f"Budget **{info['budget']}**" + (f" (--steps {info['steps']})" if info["steps"] else "")
             + f"; device `{info['device']}`" + (f" (CPU kernels: {info['cpu']})" if info.get("cpu") else "")
             + (f"; estimated before the run at {info['estimate_minutes']:.0f} min" if info.get("estimate_minutes") else "")
             + ("; training in bfloat16 autocast (`--amp bf16`)" if info.get("amp") else "") + f"; dataset `{info['dataset']}` "
             f"({info['n_test']} test {'chairs' if 'classes' not in info else 'models'}, one view each); "
             f"commit `{commit}`; machine: {machine}. Stage time in all {sum(s['seconds'] for s in state.values()):.0f} s "
             f"(training {train_s:.0f} s). Made by `{info['command']}`."),
            ("p", CLASSES_NOTE if "classes" in info else "The writeup's reference numbers were measured on the real R2N2 chairs; ours on the dataset above. "
             "Baselines stand in every table: the *constant chair* (one training chair for every image), *retrieval* "
             "(the training chair whose image feature is nearest) and the *oracle nearest neighbour* (the best training "
             "chair per test chair, a ceiling for retrieval). A model learns from the image only where it beats them. "
             "Intervals are 95 % bootstrap intervals over the test chairs.")]


def sections(out, state, info):
    """The page, section by section, as blocks."""
    b = [("h1", "Single view to 3D: the writeup, reproduced")] + header(info, state) + [("toc",)]
    q2 = {t: writeup_metrics("q2", metrics_name(t)) for t in ("vox", "point", "mesh")}  # vox: cut at the val isovalue
    vox_auto = q2["vox"]
    vox_fixed = writeup_metrics("q2", metrics_name("vox", isovalue=0.5))  # the writeup's fixed cut
    implicit_auto = writeup_metrics("q3_implicit", metrics_name("vox", "occupancy"))  # the val isovalue, the default
    implicit = writeup_metrics("q3_implicit", metrics_name("vox", "occupancy", isovalue=0.5))
    parametric = {t: writeup_metrics("q3_parametric", metrics_name(t, "parametric")) for t in ("point", "mesh")}
    for i, t in enumerate(("vox", "point", "mesh")):
        title = {"vox": "a voxel grid (BCE)", "point": "a point cloud (chamfer by hand on knn_points)",
                 "mesh": "a mesh (chamfer + Laplacian smoothing from an ico-sphere)"}[t]
        b += [("h2", f"1.{i + 1} Fitting {title}"), ("code", commands(state, f"1.{i + 1}")),
              ("p", fit_summary(out, f"fit_{t}")), ("img", pictures(out, f"output/fit_{t}.png") + pictures(out, f"output/fit_{t}.gif"))]
    for i, t in enumerate(("vox", "point", "mesh")):
        b += [("h2", f"2.{i + 1} Image to {dict(vox='voxel grid', point='point cloud', mesh='mesh')[t]}"),
              ("code", commands(state, f"2.{i + 1}")),
              metrics_rows(out, [(t, q2[t], f"train_{t}")] + ([(t, writeup_metrics("q2", metrics_name(t, isovalue=0.5)),
                                                          f"train_{t}")] if REPRESENTATIONS[t].level else []),
                           state, REFERENCE),
              ("p", "Input | Prediction | Target on test chairs, the training loss and the F1 curve:"),
              ("img", pictures(out, f"test_outputs/q2/vis/q2_{t}_*.png") + pictures(out, f"outputs/q2/loss_{t}.png")
               + pictures(out, f"test_outputs/q2/eval_{t}.png"))] + views_3d(out, "q2", metrics_name(t))
    models = [(t, q2[t], f"train_{t}") for t in ("vox", "point", "mesh")]
    models.insert(1, ("vox", vox_fixed, "train_vox"))
    named = [("vox (val isovalue)" if p == vox_auto else "vox (0.5)" if p == vox_fixed else t, p) for t, p, _ in models]
    base = [(BASELINE_LABELS[name], writeup_metrics("baselines", name)) for name in BASELINES[:2]]
    pairs = [(m, bl) for m in named for bl in base]
    pairs += [(a, c) for k, a in enumerate(named) for c in named[k + 1:] if a[0].split()[0] != c[0].split()[0]]
    b += [("h2", HEADLINE), ("code", commands(state, "2.4")),
          metrics_rows(out, models, state, REFERENCE),
          ("list", differences(out, pairs)), ("img", pictures(out, "test_outputs/comparison/f1_curves.png"))]
    study = [(n, writeup_metrics(f"q2_{n}", metrics_name("point")), f"train_point_{n}") for n in (500, 1000, 2500, 5000)]
    adjacent = [((f"{a} points", pa), (f"{c} points", pc)) for (a, pa, _), (c, pc, _) in zip(study, study[1:])]
    b += [("h2", "2.5 Hyper-parameter study: the number of predicted points"), ("code", commands(state, "2.5")),
          metrics_rows(out, study, state, REFERENCE), ("list", differences(out, adjacent)),
          ("img", pictures(out, "test_outputs/n_points_study/f1_curves.png")
           + sum((pictures(out, f"test_outputs/q2_{n}/vis/*.png", 1) for n, _, _ in study), []))]
    b += [("h2", "2.6 Interpreting the models: GradCAM++"), ("code", commands(state, "2.6"))]
    for t in ("vox", "point", "mesh"):
        s = load_metrics(out, f"output/gradcam++_visualizations/{t}/summary.json")
        if s is not None and s["saliency_inside_silhouette"]["shape"] is not None:
            b.append(("p", f"{t}: {100 * s['saliency_inside_silhouette']['shape']:.0f} % of the saliency lies inside the "
                           f"chair's silhouette, which covers {100 * s['silhouette_area']:.0f} % of the image "
                           f"({s['n_examples']} test examples)."))
        b.append(("img", pictures(out, f"output/gradcam++_visualizations/{t}/in_out_*.png", 3)))
    b += [("h2", "3.1 Implicit network (occupancy)"), ("code", commands(state, "3.1")),
          metrics_rows(out, [("implicit", implicit_auto, "train_implicit"), ("implicit", implicit, "train_implicit"),
                             ("vox (2.1)", vox_auto, "train_vox"), ("vox (2.1)", vox_fixed, "train_vox")], state),
          # Each model at its val isovalue first: the class-balanced occupancy loss and the voxel BCE calibrate
          # differently, so at 0.5 the pair compares calibrations rather than shapes.
          ("list", differences(out, [(("implicit (val isovalue)", implicit_auto), ("vox (val isovalue)", vox_auto)),
                                     (("implicit (val isovalue)", implicit_auto),
                                      (BASELINE_LABELS["retrieval"], writeup_metrics("baselines", "retrieval"))),
                                     (("implicit (0.5)", implicit), ("vox (0.5)", vox_fixed))])),
          # The surface cut at the val isovalue, which the first paired sentence scores (0.5 cuts a short run's
          # occupancy network far outside the chair), when that evaluation ran.
          ("img", [p for p in pictures(out, "test_outputs/q3_implicit/vis/*.png") if "_iso" not in p]
           + pictures(out, "output/q3_implicit/loss_implicit.png"))] + views_3d(out, "q3_implicit", metrics_name("vox", "occupancy"))
    b += [("h2", "3.2 Parametric network (AtlasNet-style)"), ("code", commands(state, "3.2")),
          metrics_rows(out, [("parametric points", parametric["point"], "train_parametric"),
                             ("parametric mesh", parametric["mesh"], None), ("point (2.2)", q2["point"], "train_point")], state),
          ("list", differences(out, [(("parametric points", parametric["point"]), ("point", q2["point"]))])),
          ("img", pictures(out, "test_outputs/q3_parametric/vis/*parametric_mesh*.png")
           + pictures(out, "output/q3_parametric/loss_parametric.png"))]
    b += views_3d(out, "q3_parametric", metrics_name("mesh", "parametric")) + views_3d(out, "q3_parametric", metrics_name("point", "parametric"))
    b += published_section(out, state)
    b += [("h2", "Stages"), ("table", ["stage", "section", "seconds", "command"],
                             [[k, s.get("section", ""), f"{s['seconds']:.0f}", f"`{s['cmd']}`"] for k, s in state.items()])]
    return b


def views_3d(out, run_id, name):
    """The rotatable 3D view (view3d) of the chairs an evaluation saved (evaluation.save_shapes: the best, median
    and worst by F1@0.05, and the pictured ones), after a line naming those three, the chairs one writes about when
    saying what a model cannot do; nothing when the evaluation wrote no shapes."""
    path = shapes_path(os.path.join(out, "test_outputs", run_id), name)
    if not os.path.isfile(path):
        return []
    with np.load(path) as z:
        chairs = [f"{role} {model_id} ({f1:.1f})" for role, model_id, f1 in zip(z["role"].tolist(), z["model_id"].tolist(),
                                                                                 z["f1"].tolist()) if role != "shown"]
    return [("p", f"`{name}` in 3D, prediction | ground truth (turn one, both turn): the test chairs by F1@0.05 "
                  + ", ".join(chairs) + ", then the pictured ones."),
            ("html", view3d.view_fragment(path, out, f"{run_id}_{name}"))]


def published_models():
    """(label, metrics path) of every model and baseline the section "Against the published tables" scores, each
    surface at its default cut (the isovalue chosen on val)."""
    return ([(t, writeup_metrics("q2", metrics_name(t))) for t in ("vox", "point", "mesh")]
            + [("implicit", writeup_metrics("q3_implicit", metrics_name("vox", "occupancy")))]
            + [(f"parametric {t}", writeup_metrics("q3_parametric", metrics_name(t, "parametric"))) for t in ("point", "mesh")]
            + [(f"*{BASELINE_LABELS[name]}*", writeup_metrics("baselines", name)) for name in BASELINES])


def published_section(out, state):
    """Our models under each published protocol beside that paper's chair rows, from the metrics files (compare.py
    --protocol prints the same rows from the same files: the commands are shown)."""
    blocks = [("h2", "Against the published tables"),
              ("p", "The same test samples scored under the protocols of the published single-view tables "
                    "(protocols.py). *Published* rows are the papers' own: the real ShapeNet chairs, their splits, "
                    "their training. Ours are this page's dataset and budget, so the two kinds of row measure the "
                    "same quantity on different data and training: read them as units, not as a ranking. '-' marks a "
                    "number a model cannot have (a point cloud has no normals; a surface has no inside for the "
                    "IoU) or a paper did not print. Means are over test chairs, with 95 % bootstrap intervals on the "
                    "first column. An empty prediction is charged the worst value (every distance the cube's diagonal), "
                    "so a few empty chairs move a Chamfer mean far: the rows say how many."),
              ("code", commands(state, "published"))]
    found = [(label, load_metrics(out, path)) for label, path in published_models()]
    for name, protocol in PROTOCOLS.items():
        rows = [[label + empty_note(m), *protocol_cells(m, name, True)] for label, m in found if m is not None]
        blocks += [("p", f"**{protocol.title}**: {protocol.definition}. Published: {protocol.source}."),
                   ("table", ["model", *protocol_headers(name, True)], rows + published_rows(name))]
    return blocks


CLASSES_BASELINE_LABELS = dict(zip(BASELINES, ("constant (per class)", "retrieval (any class)", "oracle (same class)")))
CLASSES_NOTE = ("Ours are measured on the dataset above; the published columns on the real ShapeNet classes, with the "
                "papers' training. Baselines stand in every table: the *constant* (each class's best training shape), "
                "*retrieval* (the training model of any class whose image feature is nearest) and the *oracle* (the best "
                "training shape of the test model's class, a ceiling for copying). Intervals are 95 % bootstrap "
                "intervals over the test models (stratified by class for the mean over classes).")


def classes_models():
    """(label, metrics path) of the thirteen-class page's models and baselines (report.py --classes)."""
    return ([("point", writeup_metrics("all_point", metrics_name("point"))),
             ("implicit", writeup_metrics("all_implicit", metrics_name("vox", "occupancy")))]
            + [(f"*{CLASSES_BASELINE_LABELS[name]}*", writeup_metrics("all_baselines", name)) for name in BASELINES])


def classes_sections(out, state, info):
    """The page of report.py --classes: one point and one occupancy model trained on every class at once, scored
    per class beside the baselines (each class's constant shape, retrieval, the oracle) and the papers' rows."""
    b = [("h1", f"Single view to 3D: the R2N2 classes ({info['classes']})")] + header(info, state) + [("toc",)]
    found = [(label, load_metrics(out, path)) for label, path in classes_models()]
    found = [(label.strip("*"), m) for label, m in found if m is not None and "per_class" in m]
    b += [("h2", "All classes: one model each, scored per class"),
          ("p", "One point-cloud model and one occupancy network, each trained on every class at once (as 3D-R2N2, "
                "Pixel2Mesh, AtlasNet, Occupancy Networks and Mesh R-CNN train theirs), evaluated on one view of every "
                "test model. Each row is a class; *mean over classes* averages the classes' means (what the papers "
                "print), *mean over instances* pools the test models. The baselines ignore the image: the *constant* "
                "is each class's best training shape (it knows the class), *retrieval* the training model of any class "
                "whose image feature is nearest, the *oracle* the best training shape of the test model's class. A "
                "model learns from the image where it beats them. Published columns are the papers' own numbers on "
                "the real ShapeNet classes (their chair row and their mean over the thirteen classes)."),
          ("code", commands(state, "classes"))]
    for protocol in ("writeup", *PROTOCOLS):
        title = "The writeup's F1" if protocol == "writeup" else f"{PROTOCOLS[protocol].title}: {PROTOCOLS[protocol].definition}"
        b.append(("p", f"**{title}**" + ("" if protocol == "writeup" else f". Published: {PROTOCOLS[protocol].source}.")))
        for header_, headers, rows in class_tables(found, protocol):
            b += [("p", f"*{header_}*"), ("table", headers, rows)]
    for run_id, name in (("all_point", metrics_name("point")), ("all_implicit", metrics_name("vox", "occupancy"))):
        path = shapes_path(os.path.join(out, "test_outputs", run_id), name)
        if os.path.isfile(path):
            b += [("p", f"`{name}` in 3D, prediction | ground truth: the median test model of each class by F1@0.05, "
                        "then the best and the worst of all (the chooser names each)."),
                  ("html", view3d.view_fragment(path, out, f"{run_id}_{name}"))]
    b += [("h2", "Stages"), ("table", ["stage", "section", "seconds", "command"],
                             [[k, s.get("section", ""), f"{s['seconds']:.0f}", f"`{s['cmd']}`"] for k, s in state.items()])]
    return b


def _inline_html(text):
    """Markdown-ish inline marks for the page: `code`, **bold**, *italic*."""
    out, parts = [], text.split("`")
    for k, part in enumerate(parts):
        if k % 2:
            out.append(f"<code>{html.escape(part)}</code>")
        else:
            p = html.escape(part)
            for mark, tag in (("**", "b"), ("*", "i")):
                pieces = p.split(mark)
                p = "".join(f"<{tag}>{x}</{tag}>" if j % 2 else x for j, x in enumerate(pieces)) if len(pieces) % 2 else p
            out.append(p)
    return "".join(out)


def anchor(title):
    """The id of a section heading, as GitHub makes it for markdown (so report.md and RESULTS.md link alike)."""
    return "".join(c for c in title.lower().replace(" ", "-") if c.isalnum() or c in "-_")


def contents(blocks):
    """(title, anchor) of every section of the page, in order."""
    return [(b[1], anchor(b[1])) for b in blocks if b[0] == "h2"]


def render_html(blocks, scripts=""):
    """The page; scripts: what goes into <head> besides the title and style (the 3D views' plotly script)."""
    body = []
    for block in blocks:
        kind = block[0]
        if kind == "h1":
            body.append(f"<h1>{html.escape(block[1])}</h1>")
        elif kind == "h2":
            body.append(f'<h2 id="{anchor(block[1])}">{html.escape(block[1])}</h2>')
        elif kind == "html":
            body.append(block[1])  # a 3D view: view3d's fragment, its paths relative to the page
        elif kind == "toc":
            items = "".join(f'<li><a href="#{a}">{html.escape(t)}</a>' + (" (the headline table)" if t == HEADLINE else "")
                            + "</li>" for t, a in contents(blocks))
            body.append(f"<nav><b>Contents</b><ol>{items}</ol></nav>")
        elif kind == "p" and block[1]:
            body.append(f"<p>{_inline_html(block[1])}</p>")
        elif kind == "code" and block[1]:
            body.append(f"<pre>{html.escape(block[1])}</pre>")
        elif kind == "list" and block[1]:
            body.append("<ul>" + "".join(f"<li>{_inline_html(x)}</li>" for x in block[1]) + "</ul>")
        elif kind == "img" and block[1]:
            body.append("<div class=figs>" + "".join(
                f'<a href="{html.escape(p)}"><img src="{html.escape(p)}" alt="{html.escape(p)}"></a>' for p in block[1]) + "</div>")
        elif kind == "table" and block[2]:
            head = "".join(f"<th>{_inline_html(h)}</th>" for h in block[1])
            rows = "".join("<tr>" + "".join(f"<td>{_inline_html(str(c))}</td>" for c in r) + "</tr>" for r in block[2])
            body.append(f"<table><tr>{head}</tr>{rows}</table>")
    style = ("body{font-family:sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;line-height:1.45}"
             "pre{background:#f4f4f4;padding:.6em;font-size:.85em;white-space:pre-wrap;overflow-wrap:anywhere}"
             "nav ol{columns:2;margin:.3em 0}"
             "table{border-collapse:collapse;margin:.6em 0}td,th{border:1px solid #ccc;padding:.25em .5em;text-align:right}"
             "td:first-child,th:first-child{text-align:left}"
             ".figs{display:grid;grid-template-columns:repeat(auto-fill,minmax(340px,1fr));gap:.5em;align-items:start}"
             ".view3d{border:1px solid #ddd;margin:.6em 0}.view3d-bar{padding:.3em}.view3d-note{color:#666;font-size:.85em;"
             "margin-left:.6em}.figs img{width:100%;border:1px solid #ddd}h2{border-bottom:1px solid #ddd;margin-top:2em}")
    return (f"<!doctype html><html><head><meta charset=utf-8><title>Single view to 3D: report</title><style>{style}</style>"
            f"{scripts}</head><body>\n" + "\n".join(body) + "\n</body></html>\n")


def render_md(blocks, pictures=True):
    """Markdown of the page; without pictures it is the tables-and-text twin that RESULTS.md copies."""
    out = []
    for block in blocks:
        kind = block[0]
        if kind == "h1":
            out.append(f"# {block[1]}")
        elif kind == "toc":
            out.append("\n".join(f"{k}. [{t}](#{a})" + (" (the headline table)" if t == HEADLINE else "")
                                  for k, (t, a) in enumerate(contents(blocks), 1)))
        elif kind == "h2":
            out.append(f"## {block[1]}")
        elif kind == "p" and block[1]:
            out.append(block[1])
        elif kind == "code" and block[1]:
            out.append("```\n" + block[1] + "\n```")
        elif kind == "list" and block[1]:
            out.append("\n".join(f"- {x}" for x in block[1]))
        elif kind == "img" and block[1] and pictures:
            out.append(" ".join(f"![{os.path.basename(p)}]({p})" for p in block[1] if not p.endswith(".gif")))
        elif kind == "table" and block[2]:
            out.append("\n".join(["| " + " | ".join(block[1]) + " |", "|" + "---|" * len(block[1])]
                                 + ["| " + " | ".join(str(c) for c in r) + " |" for r in block[2]]))
    return "\n\n".join(out) + "\n"


def write_page(out, state, info, page_sections=sections):
    """{out}/index.html, {out}/report.md and {out}/tables.md (no pictures) from the stages' outputs (the writeup's
    sections, or classes_sections); returns the paths of the first two."""
    blocks = page_sections(out, state, info)
    page, md = os.path.join(out, "index.html"), os.path.join(out, "report.md")
    scripts = view3d.plotly_script_tag(out) if any(b[0] == "html" for b in blocks) else ""
    atomic_write(page, lambda tmp: open(tmp, "w").write(render_html(blocks, scripts)))
    atomic_write(md, lambda tmp: open(tmp, "w").write(render_md(blocks)))
    atomic_write(os.path.join(out, "tables.md"), lambda tmp: open(tmp, "w").write(render_md(blocks, pictures=False)))
    return page, md
