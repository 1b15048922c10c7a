"""Put evaluation results side by side: a table of avg F1@0.05 (and the other thresholds) and one F1 plot, or the
numbers of a published protocol (Mesh R-CNN, Pixel2Mesh, Occupancy Networks) beside that paper's chair rows.

    python compare.py test_outputs/q2/metrics_vox.json test_outputs/q2/metrics_point.json \
        test_outputs/q2/metrics_mesh.json --out test_outputs/comparison
    python compare.py test_outputs/q2_*/metrics_point.json --label n_points --out test_outputs/n_points_study
    python compare.py test_outputs/*/metrics_*.json --protocol meshrcnn --out test_outputs/published
    python compare.py test_outputs/all/metrics_point.json test_outputs/all_baselines/metrics_*.json --per_class \
        --protocol onet --out test_outputs/all_classes

Writes {out}/comparison.md and {out}/f1_curves.png (with --protocol: {out}/protocol_{protocol}.md), and prints the
table. The 95 % bootstrap interval of avg F1@0.05 (results.write_metrics) stands beside it; a metrics file written
before the intervals were stored gets the same bootstrap of its per-example F1, and one without those shows "-".
Under --protocol every column is read from the file's "protocols" section (its definition, scale and sample counts
are recorded there); "-" marks a number the model cannot have (the normals of a point cloud, the IoU of a surface)
or a file written before the protocols. The published rows are the papers' (real ShapeNet chairs, their splits and
training), ours are whatever dataset and budget the files record.
--per_class (files of a model evaluated on several --classes): a table per number, a row per class, the mean over
classes (what the papers print) and over instances, a column per file, then the papers' chair and mean-over-classes
values in columns labelled as theirs; written to {out}/per_class_{protocol}.md.
"""
import argparse
import os
import sys

from tabulate import tabulate

import cli
import visualize
from protocols import PROTOCOLS
from results import (class_tables, comparison_cells, comparison_headers, empty_note, name_of, protocol_cells,
                     protocol_headers, published_rows, read_metrics)
from runtime import atomic_write


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=cli.Defaults, usage=cli.USAGE)
    p.add_argument("metrics", nargs="+", help="metrics_*.json files written by eval_model.py / eval_q3.py / baselines.py")
    p.add_argument("--label", default="name", help="metrics field that names each row (name, type, id, n_points, ...)")
    p.add_argument("--out", required=True, help="folder for comparison.md and f1_curves.png")
    p.add_argument("--title", default="F1 vs distance threshold", help="title of the plot")
    p.add_argument("--protocol", choices=["writeup", *PROTOCOLS], default="writeup",
                   help="whose numbers: the writeup's F1@0.01-0.05, or a published protocol's beside its chair rows")
    p.add_argument("--per_class", action="store_true",
                   help="a row per class (files evaluated on several --classes), the means over classes and instances")
    args = p.parse_args()
    if args.per_class:
        return per_class(args)

    rows, curves, thresholds = [], {}, None
    for path in args.metrics:
        m = read_metrics(path)
        label = str(m.get(args.label, name_of(path)))
        thresholds = m["thresholds"]
        curves[label] = m["avg_f1"]
        if args.protocol != "writeup":
            label += empty_note(m)
        cells = comparison_cells(m) if args.protocol == "writeup" else protocol_cells(m, args.protocol, True)
        rows.append([label, *cells])
    if all(r[0].replace(".", "", 1).isdigit() for r in rows):
        rows.sort(key=lambda r: float(r[0]))  # a shell glob lists q2_1000 before q2_500
        curves = {r[0]: curves[r[0]] for r in rows}
    os.makedirs(args.out, exist_ok=True)
    if args.protocol != "writeup":
        protocol = PROTOCOLS[args.protocol]
        rows += published_rows(args.protocol)
        table = tabulate(rows, [args.label, *protocol_headers(args.protocol, True)], tablefmt="github",
                         disable_numparse=True)  # the cells as written: 0.530, not 0.53
        text = f"{protocol.title} protocol: {protocol.definition}.\n\n{table}\n\n*published*: {protocol.source}.\n"
        print(text, end="")
        md = os.path.join(args.out, f"protocol_{args.protocol}.md")
        atomic_write(md, lambda tmp: open(tmp, "w").write(text))
        print(f"wrote {md}")
        return
    table = tabulate(rows, [args.label, *comparison_headers(thresholds)], tablefmt="github")
    print(table)
    md = os.path.join(args.out, "comparison.md")
    atomic_write(md, lambda tmp: open(tmp, "w").write(table + "\n"))
    png = os.path.join(args.out, "f1_curves.png")
    visualize.save_f1_curve(curves, thresholds, png, args.title)
    print(f"wrote {md} and {png}")


def per_class(args):
    files = []
    for path in args.metrics:
        m = read_metrics(path)
        if "per_class" not in m:
            raise cli.InputError(f"{path} has no per-class rows (evaluated on one class); evaluate with --classes "
                                 "all (or several classes), or leave out --per_class")
        files.append((str(m.get(args.label, name_of(path))), m))
    title = "the writeup's F1" if args.protocol == "writeup" else f"the {PROTOCOLS[args.protocol].title} protocol"
    blocks = [f"Per class, under {title} (mean over classes: each class's mean averaged, as the papers print it)."]
    for header, headers, rows in class_tables(files, args.protocol):
        blocks.append(f"### {header}\n\n" + tabulate(rows, headers, tablefmt="github", disable_numparse=True))
    if args.protocol != "writeup":
        blocks.append(f"*published*: {PROTOCOLS[args.protocol].source}.")
    text = "\n\n".join(blocks) + "\n"
    print(text, end="")
    os.makedirs(args.out, exist_ok=True)
    md = os.path.join(args.out, f"per_class_{args.protocol}.md")
    atomic_write(md, lambda tmp: open(tmp, "w").write(text))
    print(f"wrote {md}")


if __name__ == "__main__":
    sys.exit(cli.run(main))
