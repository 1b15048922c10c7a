"""What a metrics file is called, and how its numbers are written, read, shown and compared.

The evaluators (eval_model.py, eval_q3.py, baselines.py) write metrics_{name}.json through write_metrics; the
tables (compare.py, equal_time.py, the report page) find those files by the same name rule (metrics_name,
metrics_path), read them with read_metrics, show them through the same cells and say whether two models differ
with the same paired interval and sentence, so a number and its interval are named, measured and worded once.
"""
import json
import os

import numpy as np
import torch

import cli
import visualize
from metrics import N_EVAL_POINTS, N_IOU_POINTS, THRESHOLDS
from protocols import PROTOCOLS, column_value, protocol_info
from r2n2_layout import NAMES
from runtime import atomic_write

# What an evaluation writes: 2 adds the published protocols ("protocols") and names the cut chosen on val the default
# (vox, occupancy_32; a fixed cut is vox_iso0.5); 3 adds shapes_{name}.npz for the page's 3D views. report.py makes
# the files of an older version again.
METRICS_VERSION = 3
# The names baselines.py gives its metrics files (metrics_constant.json, ...), in the order the tables list them.
BASELINES = ("constant", "retrieval", "oracle")


def iso_name(name, isovalue):
    """A fixed isovalue gets its own metrics file beside the default's (the cut chosen on val, "auto" or None):
    vox, vox_iso0.5, vox_iso0.3."""
    return name if isovalue in ("auto", None) else f"{name}_iso{isovalue:g}"


def metrics_name(kind, model_type=None, eval_res=32, isovalue=None):
    """The `name` of metrics_{name}.json for what was evaluated: kind (vox, point, mesh) of a model_type (None:
    eval_model.py's models; occupancy, parametric: eval_q3.py's) at eval_res (occupancy) and isovalue (vox,
    occupancy: None or "auto" for the cut chosen on val, or a fixed number). vox, vox_iso0.5, point, mesh,
    occupancy_32, occupancy_64_iso0.5, parametric_point, parametric_mesh."""
    return METRICS_NAMES[model_type](kind, eval_res, isovalue)


METRICS_NAMES = {  # model_type -> (kind, eval_res, isovalue) -> name; only a field cut at a level has a fixed isovalue
    None: lambda kind, eval_res, isovalue: iso_name(kind, isovalue),
    "occupancy": lambda kind, eval_res, isovalue: iso_name(f"occupancy_{eval_res}", isovalue),
    "parametric": lambda kind, eval_res, isovalue: f"parametric_{kind}",
}


def metrics_path(output_dir, run_id, name):
    """Where an evaluator run with --output_dir output_dir --id run_id writes metrics_{name}.json."""
    return os.path.join(output_dir, run_id, f"metrics_{name}.json")


def shapes_path(out_dir, name):
    """Where an evaluator writes, beside metrics_{name}.json in out_dir ({output_dir}/{id}), the predictions and
    meshes of the few chairs the report page turns in 3D (evaluation.save_shapes)."""
    return os.path.join(out_dir, f"shapes_{name}.npz")


def name_of(path):
    """The `name` of a metrics_{name}.json path (metrics_path's rule read backwards)."""
    return os.path.basename(path)[len("metrics_"):-len(".json")]


def read_metrics(path):
    """A metrics file's dict; a file that is missing or not JSON is an InputError naming it."""
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, json.JSONDecodeError) as e:
        raise cli.InputError(f"cannot read metrics file {path}: {e}") from None


def bootstrap_ci(values, n_resamples=2000, level=0.95, seed=0):
    """Percentile bootstrap interval of the mean of each column of values (N, T): (T, 2) [lo, hi].

    The N examples are resampled with replacement n_resamples times (a fixed seed, so a rerun gives the
    same interval); the interval holds the central `level` of the resampled means. It measures how much
    the average would move with another draw of test chairs of the same kind, nothing else (not the
    training run's randomness).
    """
    values = np.asarray(values, dtype=np.float64)  # (N, T)
    idx = np.random.default_rng(seed).integers(0, len(values), size=(n_resamples, len(values)))  # (R, N)
    means = values[idx].mean(1)  # (R, T)
    tail = (1 - level) / 2 * 100
    return np.percentile(means, [tail, 100 - tail], axis=0).T  # (T, 2)


WRITEUP_PROTOCOL = {  # what a metrics file's top-level numbers are (the published protocols go under "protocols")
    "title": "the writeup's", "definition": "precision / recall / F1 at distances 0.01 ... 0.05 in the object "
    "frame, nothing scaled or re-centred", "scale": "none", "thresholds": list(THRESHOLDS),
    "thresholds_on": "distances", "n_points_gt": N_EVAL_POINTS, "mean_over": "instances (one class: chairs)"}


def stratified_ci(values, labels, n_resamples=2000, level=0.95, seed=0):
    """Percentile bootstrap interval of the mean over classes of each class's mean, per column of values (N, T):
    (T, 2). Each class's examples are resampled within the class, so every resample keeps every class, as the
    mean over classes the papers print does."""
    values, labels = np.asarray(values, dtype=np.float64), np.asarray(labels)
    rng = np.random.default_rng(seed)
    classes = sorted(set(labels.tolist()))
    means = np.zeros((n_resamples, values.shape[1]))
    for c in classes:
        rows = values[labels == c]  # (n_c, T)
        means += rows[rng.integers(0, len(rows), size=(n_resamples, len(rows)))].mean(1)
    means /= len(classes)
    tail = (1 - level) / 2 * 100
    return np.percentile(means, [tail, 100 - tail], axis=0).T  # (T, 2)


def _averages(results, labels=None):
    """The writeup's averages of a metrics file with their intervals: over the examples (labels None) or over the
    classes (the mean of each class's mean, labels (N,) the examples' classes, intervals stratified by class)."""
    def mean_ci(values):  # values (N, T) -> (T,) mean, (T, 2) interval
        values = np.asarray(values, dtype=np.float64)
        if labels is None:
            return values.mean(0), bootstrap_ci(values)
        means = np.mean([values[labels == c].mean(0) for c in sorted(set(labels.tolist()))], axis=0)
        return means, stratified_ci(values, labels)

    at = THRESHOLDS.index(0.05)
    out = {}
    for key in ("precision", "recall", "f1"):
        mean, ci = mean_ci(results[key].numpy())
        out[f"avg_{key}"] = mean.tolist()
        if key == "f1":
            out.update({"avg_f1@0.05": float(mean[at]), "f1_ci95": ci.tolist(), "f1_ci95@0.05": ci[at].tolist()})
    for key in ("iou_32", "iou_points"):
        if key in results:
            mean, ci = mean_ci(results[key][:, None].numpy())
            out[f"avg_{key}"], out[f"{key}_ci95"] = float(mean[0]), ci[0].tolist()
    return out


def class_sections(results, synsets):
    """"per_class" (each class's averages, intervals and protocols, by synset, in synset order) and "class_mean"
    (the mean over classes, as 3D-R2N2, Pixel2Mesh, AtlasNet, Occupancy Networks and Mesh R-CNN print it, with
    intervals stratified by class) of a metrics file; synsets (N,): each example's class."""
    labels = np.asarray(synsets)
    per_class = {}
    for synset in sorted(set(synsets)):
        rows = torch.from_numpy(np.flatnonzero(labels == synset))
        sub = {k: v[rows] for k, v in results.items()}
        protocols = {p: {"avg": sec["avg"], "ci95": sec["ci95"], "empty_predictions": sec["empty_predictions"]}
                     for p, sec in protocol_sections(sub).items()}
        per_class[synset] = {"name": NAMES.get(synset, synset), "n_examples": len(rows), **_averages(sub),
                             "protocols": protocols}
    class_mean = {"n_classes": len(per_class), **_averages(results, labels), "protocols": {}}
    for p, sec in protocol_sections(results).items():
        avg, ci = {}, {}
        for key, values in sec["per_example"].items():
            if values is None:
                avg[key] = ci[key] = None
                continue
            values = np.asarray(values, dtype=np.float64)
            flat = values.reshape(len(values), -1)  # (N, T)
            mean = np.mean([flat[labels == c].mean(0) for c in per_class], axis=0)
            interval = stratified_ci(flat, labels)
            avg[key] = mean.tolist() if values.ndim == 2 else float(mean[0])
            ci[key] = interval.tolist() if values.ndim == 2 else interval[0].tolist()
        class_mean["protocols"][p] = {"avg": avg, "ci95": ci}
    return per_class, class_mean


def write_metrics(results, out_dir, name, info, synsets=None):
    """metrics_{name}.json (averages per threshold, their 95 % bootstrap intervals, per-example F1; the
    volumetric IoUs where the results have them; every published protocol's numbers under "protocols") and the
    F1-vs-threshold plot eval_{name}.png, in out_dir ({output_dir}/{id}). results: evaluation.evaluate's dict.
    With synsets (N,), each example's class, and more than one class: also "per_class" and "class_mean"
    (class_sections); the top-level averages are then the mean over all instances."""
    avg = {k: v.double().mean(0).tolist() for k, v in results.items() if "/" not in k}
    ci = bootstrap_ci(results["f1"]).tolist()  # (T, 2)
    at = THRESHOLDS.index(0.05)
    summary = {
        "name": name,
        **info,
        "n_examples": len(results["f1"]),
        "thresholds": list(THRESHOLDS),
        "avg_precision": avg["precision"],
        "avg_recall": avg["recall"],
        "avg_f1": avg["f1"],
        "avg_f1@0.05": avg["f1"][at],
        "f1_ci95": ci,
        "f1_ci95@0.05": ci[at],
        "per_example_f1@0.05": results["f1"][:, at].tolist(),
        "per_example_f1": results["f1"].tolist(),
    }
    for key in ("iou_32", "iou_points"):  # volumetric IoU, for predictions with an inside
        if key in results:
            summary[f"avg_{key}"] = avg[key]
            summary[f"{key}_ci95"] = bootstrap_ci(results[key][:, None].numpy())[0].tolist()
            summary[f"per_example_{key}"] = results[key].tolist()
    summary["protocol"] = WRITEUP_PROTOCOL
    summary["protocols"] = protocol_sections(results)
    if synsets is not None and len(set(synsets)) > 1:
        summary["protocol"] = dict(WRITEUP_PROTOCOL, mean_over="instances of every class pooled (the mean over "
                                   "classes is class_mean, each class's numbers per_class)")
        summary["per_example_synset"] = list(synsets)
        summary["per_class"], summary["class_mean"] = class_sections(results, synsets)
    path = metrics_path(*os.path.split(out_dir), name)  # split and joined again: the same folder
    atomic_write(path, lambda tmp: json.dump(summary, open(tmp, "w"), indent=1))
    visualize.save_f1_curve({name: avg["f1"]}, THRESHOLDS, os.path.join(out_dir, f"eval_{name}.png"),
                            title=f"{info.get('id', '')} {name}: avg F1 vs threshold")
    return summary, path


def protocol_sections(results):
    """The "protocols" of a metrics file: per protocol, how its numbers were made (protocols.protocol_info), their
    averages, 95 % bootstrap intervals and per-example values, from evaluate's "{protocol}/{metric}" results; the
    onet IoU is the IoU on points in the cube as a fraction (iou_points / 100), where the model has an inside.
    A number the prediction cannot have (the normals of a point cloud, the IoU of a surface) is None."""
    sections = {}
    for name, protocol in PROTOCOLS.items():
        per_example = {key[len(name) + 1:]: value for key, value in results.items() if key.startswith(name + "/")}
        if not per_example:
            continue  # results of an evaluate from before the protocols
        if name == "onet" and "iou_points" in results:
            per_example["iou"] = results["iou_points"].double() / 100.0
        keep = {"f1" if key.startswith("f1@") else key for key, _, _ in protocol.columns}
        keep |= {"precision", "recall"} & set(per_example)
        counts = results["n_pred_points"]  # (N,) points per prediction, 0 when empty
        section = {**protocol_info(name, int(counts.max())), "empty_predictions": int((counts == 0).sum()),
                   "avg": {}, "ci95": {}, "per_example": {}}
        for key in sorted(keep):
            if key not in per_example:
                section["avg"][key] = section["ci95"][key] = section["per_example"][key] = None  # "-", never 0
                continue
            values = per_example[key].double()  # (N,) or (N, T)
            section["avg"][key] = values.mean(0).tolist()
            ci = bootstrap_ci(values.reshape(len(values), -1).numpy())  # (T, 2)
            section["ci95"][key] = ci.tolist() if values.dim() == 2 else ci[0].tolist()
            section["per_example"][key] = values.tolist()
        sections[name] = section
    return sections


def protocol_cells(m, name, with_interval=False):
    """One row of protocol `name`'s table from a metrics file: each column of protocols.PROTOCOLS[name] as text,
    '-' where the model has no such number (the normals of a point cloud; any number of a file written before the
    protocols); with_interval: the first column carries its 95 % bootstrap interval."""
    section = m.get("protocols", {}).get(name)
    cells = []
    for k, (key, _, digits) in enumerate(PROTOCOLS[name].columns):
        value = None if section is None else column_value(section["avg"], key)
        text = "-" if value is None else f"{value:.{digits}f}"
        if value is not None and with_interval and k == 0:
            text += f" {interval_text(column_value(section['ci95'], key), digits)}"
        cells.append(text)
    return cells


def empty_note(m):
    """' (k of n empty)' for a metrics file whose model predicted nothing for k of its n test chairs (each charged
    the worst value under the published protocols, which moves their Chamfer means far), else ''."""
    empty = max((s.get("empty_predictions", 0) for s in m.get("protocols", {}).values()), default=0)
    return f" ({empty} of {m['n_examples']} empty)" if empty else ""


def protocol_headers(name, with_interval=False):
    """The headers of protocol_cells(m, name, with_interval)."""
    headers = [header for _, header, _ in PROTOCOLS[name].columns]
    if with_interval:
        headers[0] += " [95% CI]"
    return headers


def published_rows(name):
    """Protocol `name`'s published chair and mean-over-classes rows as table rows under protocol_headers(name,
    True), labelled as published ('-' where the paper prints no such number)."""
    columns = PROTOCOLS[name].columns
    rows = []
    for method, table in PROTOCOLS[name].published:
        for where, label in (("chair", "chair"), ("mean", "mean of 13 classes")):
            numbers = table[where]
            rows.append([f"*{method}, {label} (published)*",
                         *[("-" if numbers.get(key) is None else f"{numbers[key]:.{digits}f}") for key, _, digits in columns]])
    return rows


def class_value(m, where, protocol, key):
    """(value, interval or None) of one number of a metrics file with per-class rows: `where` a synset, "class_mean"
    or "instances" (the top level); protocol "writeup" (key "f1@k": F1 at THRESHOLDS[k]) or a published protocol's
    column key. (None, None) where the file has no such number."""
    section = m if where == "instances" else m.get("class_mean") if where == "class_mean" else m.get("per_class", {}).get(where)
    if section is None:
        return None, None
    if protocol == "writeup":
        k = int(key[3:])
        return section["avg_f1"][k], section["f1_ci95"][k]
    numbers = section.get("protocols", {}).get(protocol)
    if numbers is None:
        return None, None
    value, ci = column_value(numbers["avg"], key), column_value(numbers["ci95"], key)
    return value, ci


def class_tables(files, protocol):
    """[(title, headers, rows)] of the per-class tables of metrics files (label, m) with per-class rows, one table
    per number (the writeup's F1@0.05 and F1@0.01, or each column of a published protocol): a row per class, the
    mean over classes and the mean over instances, a column per file (its 95 % interval beside the value), then
    each published method's per-class and mean-over-classes values as a column of its own, labelled as theirs."""
    synsets = sorted({s for _, m in files for s in m.get("per_class", {})})
    if protocol == "writeup":
        columns = [(f"f1@{THRESHOLDS.index(t)}", f"F1@{t}", 1) for t in (0.05, 0.01)]
        published = ()
    else:
        columns = PROTOCOLS[protocol].columns
        published = PROTOCOLS[protocol].published
    tables = []
    for key, header, digits in columns:
        rows = []
        for where in synsets + ["class_mean", "instances"]:
            name = {"class_mean": "**mean over classes**", "instances": "mean over instances"}.get(where, NAMES.get(where, where))
            cells = [name]
            for _, m in files:
                value, ci = class_value(m, where, protocol, key)
                cells.append("-" if value is None else f"{value:.{digits}f}" + ("" if ci is None else f" {interval_text(ci, digits)}"))
            for _, table in published:  # a row per class and their mean over the thirteen classes
                theirs = table.get("mean" if where == "class_mean" else NAMES.get(where), {})
                cells.append("-" if theirs.get(key) is None else f"{theirs[key]:.{digits}f}")
            rows.append(cells)
        headers = ["class", *[label for label, _ in files], *[f"*{label} (published)*" for label, _ in published]]
        tables.append((header, headers, rows))
    return tables


def print_summary(summary, path, per_second, device):
    """The evaluators' last lines: F1 at every threshold and avg F1@0.05, each with its 95 % bootstrap interval."""
    print(" ".join(f"F1@{t}={v:.2f} [{lo:.2f}, {hi:.2f}]"
                   for t, v, (lo, hi) in zip(THRESHOLDS, summary["avg_f1"], summary["f1_ci95"])))
    lo, hi = summary["f1_ci95@0.05"]
    print(f"{summary['name']}: avg F1@0.05 = {summary['avg_f1@0.05']:.3f} [{lo:.3f}, {hi:.3f}] (95 % bootstrap "
          f"interval) over {summary['n_examples']} {summary.get('split', 'test')} examples "
          f"({per_second:.1f} examples/s on {device})")
    for key, grid in (("iou_32", "the 32^3 grid"), ("iou_points", f"{N_IOU_POINTS} points in the cube")):
        if f"avg_{key}" in summary:
            lo, hi = summary[f"{key}_ci95"]
            print(f"{summary['name']}: volumetric IoU on {grid} = {summary[f'avg_{key}']:.1f} [{lo:.1f}, {hi:.1f}]")
    if "per_class" in summary:
        lo, hi = summary["class_mean"]["f1_ci95@0.05"]
        print(f"{summary['name']}: avg F1@0.05 per class: " + ", ".join(
            f"{c['name']} {c['avg_f1@0.05']:.1f}" for c in summary["per_class"].values())
            + f"; mean over the {len(summary['per_class'])} classes {summary['class_mean']['avg_f1@0.05']:.2f} "
              f"[{lo:.2f}, {hi:.2f}]")
    for name in summary.get("protocols", {}):
        cells = protocol_cells(summary, name, with_interval=True)
        print(f"{summary['name']} under the {PROTOCOLS[name].title} protocol: "
              + ", ".join(f"{h} {c}" for h, c in zip(protocol_headers(name, True), cells)))
    print(f"wrote {path}")


def f1_interval(m):
    """The 95 % interval [lo, hi] of a metrics file's avg F1@0.05: its own; for a file written before
    write_metrics stored intervals, the same bootstrap of its per-example F1@0.05; None for a file that has
    neither."""
    if "f1_ci95@0.05" in m:
        return list(m["f1_ci95@0.05"])
    if "per_example_f1@0.05" in m:
        return [float(v) for v in bootstrap_ci(np.asarray(m["per_example_f1@0.05"])[:, None])[0]]
    return None


def paired_difference(a, b):
    """Mean of a - b over the same test examples and its 95 % bootstrap interval, the examples resampled together.

    a, b: (N,) -> (mean, [lo, hi]); (N, T) -> ((T,) means, (T, 2) intervals). Pairing removes what the two
    models share (an easy chair is easy for both), so the interval is narrower than the two separate ones.
    """
    d = np.asarray(a, dtype=np.float64) - np.asarray(b, dtype=np.float64)  # (N,) or (N, T)
    ci = bootstrap_ci(d.reshape(len(d), -1))  # (T, 2)
    return (d.mean(), ci[0]) if d.ndim == 1 else (d.mean(0), ci)


def difference_sentence(a_label, a, b_label, b):
    """'a - b: +1.2 F1@0.05 [+0.3, +2.1]: a is better.' from two models' (N,) per-example F1@0.05 on the same
    test chairs; a claim only where the paired interval excludes 0."""
    mean, (lo, hi) = paired_difference(a, b)
    verdict = (f"{a_label} is better" if lo > 0 else f"{b_label} is better" if hi < 0
               else "not a difference these test chairs can resolve")
    return f"{a_label} - {b_label}: {mean:+.1f} F1@0.05 {interval_text((lo, hi), sign='+')}: {verdict}."


def interval_text(interval, digits=1, sign=""):
    """'[lo, hi]' at `digits` decimals (sign '+': signed, for differences); '-' for None (no interval)."""
    if interval is None:
        return "-"
    lo, hi = interval
    return f"[{lo:{sign}.{digits}f}, {hi:{sign}.{digits}f}]"


def table_numbers(m):
    """The numbers of a metrics file the report and equal-time tables show (table_cells) and pair: avg F1 per
    threshold, the interval at 0.05, per-example F1 (at 0.05, and at every threshold: (N, T)), the isovalue
    where it was chosen on val, and the volumetric IoUs with their intervals where the model has an inside."""
    out = {"f1": m["avg_f1"], "ci": f1_interval(m), "per_example": m["per_example_f1@0.05"],
           "per_example_all": m.get("per_example_f1")}  # (N,), (N, T)
    if m.get("isovalue_chosen_on"):
        out["isovalue"] = m["isovalue"]
    for key in ("iou_32", "iou_points"):
        if f"avg_{key}" in m:
            out[key] = m[f"avg_{key}"]
            out[f"{key}_ci"] = m[f"{key}_ci95"]
    return out


def table_headers(iou):
    """The headers of table_cells: F1 at each threshold, the last with its interval; the IoUs if iou."""
    return ([f"F1@{t}" for t in THRESHOLDS[:-1]] + [f"F1@{THRESHOLDS[-1]} [95% CI]"]
            + (["IoU 32^3", "IoU points [95% CI]"] if iou else []))


def table_cells(numbers, iou):
    """A row's cells under table_headers(iou) from table_numbers(m); a model without an inside leaves the IoUs
    empty."""
    f1 = numbers["f1"]
    cells = [*[f"{v:.1f}" for v in f1[:-1]], f"{f1[-1]:.1f} {interval_text(numbers['ci'])}"]
    if iou:
        points = numbers.get("iou_points")
        cells += [f"{numbers['iou_32']:.1f}" if "iou_32" in numbers else "",
                  "" if points is None else f"{points:.1f} {interval_text(numbers['iou_points_ci'])}"]
    return cells


def comparison_headers(thresholds):
    """The headers of comparison_cells, for a file's thresholds."""
    return ["avg F1@0.05", "95 % interval", *[f"F1@{t}" for t in thresholds], "test examples", "train steps"]


def comparison_cells(m):
    """compare.py's finer row of a metrics file: avg F1@0.05 (3 decimals), its interval ('-' without one), F1 at
    every threshold of the file, test examples, training steps."""
    return [f"{m['avg_f1@0.05']:.3f}", interval_text(f1_interval(m), 2), *[f"{v:.2f}" for v in m["avg_f1"]],
            m["n_examples"], m.get("step")]
