"""Put evaluation results side by side: a table of avg F1@0.05 (and the other thresholds) and one F1 plot.

    python compare.py test_outputs/q2/metrics_vox.json test_outputs/q2/metrics_point.json \
        test_outputs/q2/metrics_mesh.json --out test_outputs/comparison
    python compare.py test_outputs/q2_*/metrics_point.json --label n_points --out test_outputs/n_points_study

Writes {out}/comparison.md and {out}/f1_curves.png, and prints the table.
The 95 % bootstrap interval of avg F1@0.05 (results.write_metrics) stands beside it; a metrics file written
before the intervals were stored gets the same bootstrap of its per-example F1, and one without those shows "-".
"""
import argparse
import os
import sys

from tabulate import tabulate

import cli
import visualize
from results import comparison_cells, comparison_headers, name_of, read_metrics
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
        m = read_metrics(path)
        label = str(m.get(args.label, name_of(path)))
        thresholds = m["thresholds"]
        curves[label] = m["avg_f1"]
        rows.append([label, *comparison_cells(m)])
    if all(r[0].replace(".", "", 1).isdigit() for r in rows):
        rows.sort(key=lambda r: float(r[0]))  # a shell glob lists q2_1000 before q2_500
        curves = {r[0]: curves[r[0]] for r in rows}
    table = tabulate(rows, [args.label, *comparison_headers(thresholds)], tablefmt="github")
    print(table)
    os.makedirs(args.out, exist_ok=True)
    md = os.path.join(args.out, "comparison.md")
    atomic_write(md, lambda tmp: open(tmp, "w").write(table + "\n"))
    png = os.path.join(args.out, "f1_curves.png")
    visualize.save_f1_curve(curves, thresholds, png, args.title)
    print(f"wrote {md} and {png}")


if __name__ == "__main__":
    sys.exit(cli.run(main))
