"""Put evaluation results side by side: a table of avg F1@0.05 (and the other thresholds) and one F1 plot.

    python compare.py test_outputs/q2/metrics_vox.json test_outputs/q2/metrics_point.json \
        test_outputs/q2/metrics_mesh.json --out test_outputs/comparison
    python compare.py test_outputs/q2_*/metrics_point.json --label n_points --out test_outputs/n_points_study

Writes {out}/comparison.md and {out}/f1_curves.png, and prints the table.
The 95 % bootstrap interval of avg F1@0.05 (evaluation.write_metrics) stands beside it; a metrics file
written before the intervals existed shows "-" there.
"""
import argparse
import json
import os

from tabulate import tabulate

import cli
import visualize
from runtime import atomic_write


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=cli.Defaults, usage=cli.USAGE)
    p.add_argument("metrics", nargs="+", help="metrics_*.json files written by eval_model.py / eval_q3.py")
    p.add_argument("--label", default="name", help="metrics field that names each row (name, type, id, n_points, ...)")
    p.add_argument("--out", required=True, help="folder for comparison.md and f1_curves.png")
    p.add_argument("--title", default="F1 vs distance threshold", help="title of the plot")
    args = p.parse_args()

    rows, curves, thresholds = [], {}, None
    for path in args.metrics:
        try:
            m = json.load(open(path))
        except (OSError, json.JSONDecodeError) as e:
            raise SystemExit(f"error: cannot read metrics file {path}: {e}") from None
        label = str(m.get(args.label, os.path.basename(path)[len("metrics_"):-len(".json")]))
        thresholds = m["thresholds"]
        curves[label] = m["avg_f1"]
        ci = m.get("f1_ci95@0.05")
        interval = f"[{ci[0]:.2f}, {ci[1]:.2f}]" if ci else "-"
        rows.append([label, f"{m['avg_f1@0.05']:.3f}", interval, *[f"{v:.2f}" for v in m["avg_f1"]],
                     m["n_examples"], m.get("step")])
    if all(r[0].replace(".", "", 1).isdigit() for r in rows):
        rows.sort(key=lambda r: float(r[0]))  # a shell glob lists q2_1000 before q2_500
        curves = {r[0]: curves[r[0]] for r in rows}
    headers = [args.label, "avg F1@0.05", "95 % interval", *[f"F1@{t}" for t in thresholds], "test examples",
               "train steps"]
    table = tabulate(rows, headers, tablefmt="github")
    print(table)
    os.makedirs(args.out, exist_ok=True)
    md = os.path.join(args.out, "comparison.md")
    atomic_write(md, lambda tmp: open(tmp, "w").write(table + "\n"))
    png = os.path.join(args.out, "f1_curves.png")
    visualize.save_f1_curve(curves, thresholds, png, args.title)
    print(f"wrote {md} and {png}")


if __name__ == "__main__":
    main()
