"""Rotatable 3D views of test chairs for the report page: prediction beside ground truth, cameras linked.

Why plotly: one self-contained WebGL plot per model that opens from file:// with no network and no server;
plotly.min.js is copied once into the report folder (write_plotly_js). An evaluator's shapes_{name}.npz
(evaluation.save_shapes: best, median, worst and pictured chairs) becomes one data file per model,
view3d/{key}.js, that assigns a global: a <script src> loads it from file://, where Chrome blocks fetch/XHR.
The page loads a model's data and draws it only when its section scrolls into view, and frees the plot
when it leaves (a browser keeps about 16 WebGL contexts, and a page of every model's meshes is tens of MB).

Sizes: a real ground truth has ~100k faces, so meshes are decimated by vertex clustering to FACE_BUDGET faces,
point clouds subsampled to POINT_BUDGET points, coordinates rounded to 4 decimals (0.1 mm on a 1 m chair).
"""
import html
import importlib.util
import json
import os
import re
import shutil

import numpy as np

from runtime import atomic_write

POINT_BUDGET = 3000  # most points drawn per point cloud
FACE_BUDGET = 20000  # most faces drawn per mesh
DECIMALS = 4  # coordinates in the data files
PLOTLY_JS = "js/plotly.min.js"  # relative to the report folder
PRED_COLOR, GT_COLOR = "#4c78a8", "#b0a890"


def plotly_js_source():
    """The plotly.min.js shipped inside the installed plotly package (found without importing plotly)."""
    spec = importlib.util.find_spec("plotly")
    path = spec and os.path.join(spec.submodule_search_locations[0], "package_data", "plotly.min.js")
    if not path or not os.path.isfile(path):
        raise FileNotFoundError("plotly.min.js not found: pip install -r requirements.txt (plotly) for the 3D views")
    return path


def write_plotly_js(report_dir):
    """Copy plotly.min.js to {report_dir}/js/plotly.min.js when missing or of another size; returns the path
    relative to report_dir, for the page's one <script src> (plotly_script_tag)."""
    src, dst = plotly_js_source(), os.path.join(report_dir, PLOTLY_JS)
    if not os.path.isfile(dst) or os.path.getsize(dst) != os.path.getsize(src):
        atomic_write(dst, lambda tmp: shutil.copyfile(src, tmp))
    return PLOTLY_JS


def plotly_script_tag(report_dir):
    """The <script> that loads plotly once per page (in <head> or before the first view fragment)."""
    return f'<script src="{write_plotly_js(report_dir)}"></script>'


def decimate_points(points, budget=POINT_BUDGET, seed=0):
    """At most `budget` of (N, 3) points: a seeded subsample in the original order (all of them when N <= budget)."""
    if len(points) <= budget:
        return points
    keep = np.sort(np.random.default_rng(seed).choice(len(points), budget, replace=False))  # (budget,)
    return points[keep]


def cluster_vertices(verts, faces, cells):
    """One vertex-clustering pass: vertices in the same cell of a cells^3 grid over the bounding cube merge into
    their mean; faces that lose a corner or repeat another (same corners, any order) are dropped, the rest keep
    their winding. Returns verts (V', 3) (only those used) and faces (F', 3)."""
    lo = verts.min(0)  # (3,)
    size = max(float((verts.max(0) - lo).max()), 1e-12) / cells
    q = np.minimum(((verts - lo) / size).astype(np.int64), cells - 1)  # (V, 3) cell of each vertex
    _, cluster = np.unique(q[:, 0] * cells * cells + q[:, 1] * cells + q[:, 2], return_inverse=True)  # (V,)
    f = cluster.reshape(-1)[faces]  # (F, 3)
    f = f[(f[:, 0] != f[:, 1]) & (f[:, 1] != f[:, 2]) & (f[:, 0] != f[:, 2])]
    _, first = np.unique(np.sort(f, axis=1), axis=0, return_index=True)
    f = f[np.sort(first)]  # (F', 3) duplicates dropped, order kept
    used, f = np.unique(f, return_inverse=True)  # only the clusters some face uses
    counts = np.bincount(cluster.reshape(-1), minlength=cluster.max() + 1)[used]  # (V',)
    sums = np.stack([np.bincount(cluster.reshape(-1), verts[:, d], minlength=cluster.max() + 1)[used]
                     for d in range(3)], 1)  # (V', 3)
    return sums / counts[:, None], f.reshape(-1, 3)


def decimate_mesh(verts, faces, budget=FACE_BUDGET):
    """A mesh of at most `budget` faces: (V, 3) verts and (F, 3) faces as given when F <= budget, else vertex
    clustering (cluster_vertices) on ever coarser grids until the faces fit (a surface keeps its shape: the merged
    vertices are means of vertices on it). A surface's faces go as the grid's cells squared, so each pass scales
    the grid by sqrt(budget / faces) (and at least 10 % down): 2-4 passes, under a second for 100k faces."""
    if len(faces) <= budget:
        return verts, faces
    verts = np.asarray(verts, dtype=np.float64)
    cells = max(2, int(4 * np.sqrt(budget)))  # a sphere's surface at this grid has ~6 cells^2 faces: start above
    while True:
        v, f = cluster_vertices(verts, faces, cells)
        if len(f) <= budget or cells <= 2:
            return v, f
        cells = max(2, min(int(cells * 0.9), int(cells * 0.95 * np.sqrt(budget / len(f)))))


def rounded(a):
    """A flat list of floats rounded to DECIMALS (float64 first, so 0.1234 prints as 0.1234)."""
    return np.round(np.asarray(a, dtype=np.float64).reshape(-1), DECIMALS).tolist()


def drawn(kind, arrays, point_budget, face_budget):
    """One shape as the page's JSON: {"kind": "point", "x", "y", "z"} or {"kind": "mesh", "x", "y", "z", "i",
    "j", "k"}, decimated to the budgets; "n" is the size before decimation (points or faces)."""
    if kind == "point":
        points = decimate_points(arrays[0], point_budget)  # (N', 3)
        return {"kind": "point", "n": len(arrays[0]), "x": rounded(points[:, 0]), "y": rounded(points[:, 1]),
                "z": rounded(points[:, 2])}
    verts, faces = decimate_mesh(*arrays, budget=face_budget)  # (V', 3), (F', 3)
    verts, faces = np.asarray(verts).reshape(-1, 3), np.asarray(faces, dtype=np.int64).reshape(-1, 3)
    return {"kind": "mesh", "n": len(arrays[1]), "x": rounded(verts[:, 0]), "y": rounded(verts[:, 1]),
            "z": rounded(verts[:, 2]), "i": faces[:, 0].tolist(), "j": faces[:, 1].tolist(), "k": faces[:, 2].tolist()}


def view_data(npz_path, point_budget=POINT_BUDGET, face_budget=FACE_BUDGET):
    """The page's data of a shapes_{name}.npz: {"examples": [{"index", "model_id", "f1", "role", "pred", "gt"}]}."""
    with np.load(npz_path) as z:
        examples = []
        for k, kind in enumerate(z["kind"].tolist()):
            keys = ("points",) if kind == "point" else ("verts", "faces")
            examples.append({
                "index": int(z["index"][k]), "model_id": str(z["model_id"][k]), "f1": float(z["f1"][k]),
                "role": str(z["role"][k]),
                "pred": drawn(kind, [z[f"pred{k}_{key}"] for key in keys], point_budget, face_budget),
                "gt": drawn("mesh", [z[f"gt{k}_verts"], z[f"gt{k}_faces"]], point_budget, face_budget)})
    return {"examples": examples}


def data_global(key):
    """The global a view's data file assigns: window.VIEW3D[key]."""
    return f"window.VIEW3D[{json.dumps(key)}]"


def write_view_data(npz_path, report_dir, key, point_budget=POINT_BUDGET, face_budget=FACE_BUDGET):
    """Write {report_dir}/view3d/{key}.js (assigns data_global(key)); returns its path relative to report_dir."""
    rel = f"view3d/{key}.js"
    text = (f"window.VIEW3D = window.VIEW3D || {{}};\n{data_global(key)} = "
            + json.dumps(view_data(npz_path, point_budget, face_budget), separators=(",", ":")) + ";\n")
    atomic_write(os.path.join(report_dir, rel), lambda tmp: open(tmp, "w").write(text))
    return rel


def label(example):
    """The chair's name in the chooser: role, model_id, F1@0.05."""
    return f"{example['role']}: {example['model_id']} (#{example['index']}), F1@0.05 = {example['f1']:.1f}"


def view_fragment(npz_path, report_dir, key, height=460, point_budget=POINT_BUDGET, face_budget=FACE_BUDGET):
    """An HTML fragment (a <div> and a <script>) for one model's section: a chooser of the saved chairs (best,
    median, worst, pictured) and two linked 3D scenes, prediction | ground truth. Writes the data file
    view3d/{key}.js (write_view_data); the page must load plotly once (plotly_script_tag). Every path in it is
    relative to report_dir. key: a name unique on the page, e.g. "{id}_{name}" (letters, digits, _ and -)."""
    if not re.fullmatch(r"[A-Za-z0-9_.-]+", key):
        raise ValueError(f"view key {key!r} must be letters, digits, '_', '-' or '.'")
    src = write_view_data(npz_path, report_dir, key, point_budget, face_budget)
    with np.load(npz_path) as z:
        labels = [label({"role": r, "model_id": m, "index": int(i), "f1": float(f)})
                  for r, m, i, f in zip(z["role"].tolist(), z["model_id"].tolist(), z["index"], z["f1"])]
    dom = "v3d-" + key.replace(".", "-")
    options = "".join(f'<option value="{n}">{html.escape(text)}</option>' for n, text in enumerate(labels))
    script = VIEW_JS % {"dom": json.dumps(dom), "key": json.dumps(key), "pred": json.dumps(PRED_COLOR),
                        "gt": json.dumps(GT_COLOR)}
    return f"""<div class="view3d" id="{dom}" data-src="{src}">
<div class="view3d-bar"><button type="button" data-step="-1">&larr;</button>
<select aria-label="test chair">{options}</select>
<button type="button" data-step="1">&rarr;</button>
<span class="view3d-note">prediction (left) | ground truth (right); drag to turn both, scroll to zoom</span></div>
<div class="view3d-plot" style="width:100%;height:{int(height)}px"></div>
</div>
<script>{script}</script>
"""


# The view's script: loads the data file when the section nears the screen, draws the chosen chair (turned so the
# chair's up, +y, is plotly's z: turntable rotation, the natural one for a chair, keeps z up), links the cameras
# (a relayout of one scene's camera is copied to the other; `syncing` stops the echo), frees the plot when the
# section is far off screen. Logs the time the first draw finished (performance.now(), ms).
VIEW_JS = r"""
(function () {
  var root = document.getElementById(%(dom)s), key = %(key)s, src = root.getAttribute("data-src");
  var plot = root.querySelector(".view3d-plot"), select = root.querySelector("select");
  var drawn = false, syncing = false, loading = false, camera = null;
  function data() { return window.VIEW3D && window.VIEW3D[key]; }
  function neg(a) { return a.map(function (v) { return -v; }); }
  function trace(shape, color, scene) {  // object (x, y, z), y up -> plotted (x, -z, y): z up, as turntable wants
    var t = {x: shape.x, y: neg(shape.z), z: shape.y, scene: scene, hoverinfo: "skip", showlegend: false};
    if (shape.kind === "point") {
      t.type = "scatter3d"; t.mode = "markers"; t.marker = {size: 2, color: color};
    } else {
      t.type = "mesh3d"; t.i = shape.i; t.j = shape.j; t.k = shape.k; t.color = color; t.flatshading = true;
      t.lighting = {ambient: 0.45, diffuse: 0.8, specular: 0.15, roughness: 0.6};
      t.lightposition = {x: 1000, y: 3000, z: 2000};
    }
    return t;
  }
  function extent(shapes) {
    var m = 0.5;
    shapes.forEach(function (s) { [s.x, s.y, s.z].forEach(function (a) {
      for (var n = 0; n < a.length; n++) { m = Math.max(m, Math.abs(a[n])); } }); });
    return m * 1.02;
  }
  function scene(domain, m) {
    var axis = function () { return {visible: false, range: [-m, m]}; };  // one cube for both scenes
    return {domain: {x: domain, y: [0, 0.93]}, xaxis: axis(), yaxis: axis(), zaxis: axis(), aspectmode: "cube",
            camera: camera || {up: {x: 0, y: 0, z: 1}, eye: {x: 1.0, y: -1.5, z: 0.7}}, dragmode: "turntable"};
  }
  function draw() {
    var ex = data().examples[+select.value], m = extent([ex.pred, ex.gt]);
    var note = function (x, text) { return {text: text, x: x, y: 0.99, xref: "paper", yref: "paper",
                                            showarrow: false, font: {size: 13}}; };
    var layout = {margin: {l: 0, r: 0, t: 8, b: 0}, uirevision: key, showlegend: false,
                  scene: scene([0, 0.5], m), scene2: scene([0.5, 1], m),
                  annotations: [note(0.25, "prediction (" + (ex.pred.kind === "point" ? ex.pred.x.length + " points"
                                                 : ex.pred.i.length + " faces") + " drawn)"),
                                note(0.75, "ground truth (" + ex.gt.i.length + " faces drawn)")]};
    var traces = [trace(ex.pred, %(pred)s, "scene"), trace(ex.gt, %(gt)s, "scene2")];
    var t0 = performance.now();
    return Plotly.react(plot, traces, layout, {displaylogo: false, responsive: true}).then(function () {
      if (!drawn) {
        drawn = true;
        console.log("view3d " + key + ": first 3D view drawn at " + performance.now().toFixed(0) +
                    " ms after page start (" + (performance.now() - t0).toFixed(0) + " ms to plot)");
        plot.on("plotly_relayout", link); plot.on("plotly_relayouting", link);
      }
    });
  }
  function link(ev) {  // copy one scene's camera to the other
    if (syncing) { return; }
    var from = ev["scene.camera"] ? "scene" : ev["scene2.camera"] ? "scene2" : null;
    if (!from) { return; }
    camera = ev[from + ".camera"];
    var update = {}; update[(from === "scene" ? "scene2" : "scene") + ".camera"] = camera;
    syncing = true;
    Plotly.relayout(plot, update).then(function () { syncing = false; }, function () { syncing = false; });
  }
  function show() {
    if (drawn || loading) { return; }
    if (!window.Plotly) { plot.textContent = "plotly.min.js did not load: the 3D view needs js/plotly.min.js"; return; }
    if (data()) { draw(); return; }
    loading = true;
    var s = document.createElement("script");
    s.src = src;
    s.onload = function () { loading = false; draw(); };
    s.onerror = function () { loading = false; plot.textContent = "3D data " + src + " did not load"; };
    document.head.appendChild(s);
  }
  function hide() {
    if (drawn) { Plotly.purge(plot); drawn = false; }  // frees its WebGL contexts
  }
  select.addEventListener("change", function () { if (drawn) { draw(); } else { show(); } });
  root.querySelectorAll("button[data-step]").forEach(function (b) {
    b.addEventListener("click", function () {
      var n = select.options.length;
      select.value = String((+select.value + (+b.getAttribute("data-step")) + n) %% n);
      select.dispatchEvent(new Event("change"));
    });
  });
  if ("IntersectionObserver" in window) {
    new IntersectionObserver(function (entries) {
      entries.forEach(function (e) { if (e.isIntersecting) { show(); } else { hide(); } });
    }, {rootMargin: "600px 0px"}).observe(root);
  } else {
    show();
  }
})();
"""
