"""Procedural cabinets (ShapeNet synset 02933112): the families, their parts and proportions (geometry only, numpy).

A cabinet is a list of closed convex parts (synthetic/primitives.py) in raw units (about metres), +y up, its
doors and drawers towards +z, in the chairs' frame (synthetic/chairs.py). A closed cabinet is nearly a box, so
a one-view reconstruction could score well by predicting one box; the variety here is what it has to get
right beyond that box: how tall, wide and deep it is (a wardrobe, a deep filing cabinet, a long low TV
stand), what it stands on (a plinth, short or tall splayed legs, bun feet, a metal frame, castors), whether
its top overhangs or carries a cornice, and where it is open (shelves seen from the front, compartments,
a set-back upper hutch). The carcass is built from panels, so an open cell is a real hole into the case.

The families: wardrobe, chest of drawers, sideboard, shelving (open or with lower doors), filing cabinet,
nightstand, TV stand, hutch (a deep lower cabinet and a shallow upper one), kitchen run (counter top over a
row of units on a toe kick), cupboard (tall and narrow) and highboard (a case on a tall stand). Fronts are a
grid of columns and rows of drawers, single or paired doors, glazed doors and open cells with shelves;
handles are bars, knobs, cups or absent. Every axis is then stretched independently.

The case helpers (case, base) are reused by the tables', benches' and sofas' generators.
"""
import numpy as np

from synthetic.chairs import four_legs, stretchers
from synthetic.primitives import Convex, bar, box, cylinder, hsv

SYNSET = 2933112
FAMILIES = ("wardrobe", "chest", "sideboard", "shelving", "filing", "nightstand", "tv_stand", "hutch",
            "kitchen", "cupboard", "highboard", "wall_unit", "cubes", "rack", "bureau", "stepped")
FAMILY_WEIGHTS = np.array([8, 9, 9, 7, 4, 6, 7, 6, 4, 4, 5, 5, 5, 4, 3, 3], float)
FAMILY_WEIGHTS /= FAMILY_WEIGHTS.sum()


def block(x0, x1, y0, y1, z0, z1, part="frame"):
    """An axis-aligned box given by its extents."""
    return box([(x0 + x1) / 2, (y0 + y1) / 2, (z0 + z1) / 2], [abs(x1 - x0) / 2, abs(y1 - y0) / 2, abs(z1 - z0) / 2],
               part=part)


# ---------------------------------------------------------------------------------------------------
# Fronts: doors and drawers lie on the carcass's front edges (overlay), so they touch it.
# ---------------------------------------------------------------------------------------------------
def handle(rng, x, y, z, style, vertical, size):
    """A pull on a front whose face is at z."""
    if style == "none":
        return []
    if style == "knob":
        return [cylinder([x, y, z + 0.012], 0.014, 0.014, axis=(0, 0, 1), part="handle", sides=6)]
    if style == "cup":
        return [block(x - size * 0.25, x + size * 0.25, y - 0.012, y + 0.012, z - 0.002, z + 0.02, "handle")]
    half = size * 0.3
    a, b = ([x, y - half, z + 0.022], [x, y + half, z + 0.022]) if vertical else ([x - half, y, z + 0.022], [x + half, y, z + 0.022])
    return [bar(a, b, 0.014, "handle", round_=True),
            block(a[0] - 0.006, a[0] + 0.006, a[1] - 0.006, a[1] + 0.006, z - 0.002, z + 0.02, "handle"),
            block(b[0] - 0.006, b[0] + 0.006, b[1] - 0.006, b[1] + 0.006, z - 0.002, z + 0.02, "handle")]


def rot_y_about(parts, pivot, angle):
    """The parts turned by `angle` about the vertical line through `pivot` (x, z), +angle swinging +x towards +z."""
    c, s = np.cos(angle), np.sin(angle)
    rot = np.array([[c, 0, -s], [0, 1, 0], [s, 0, c]])
    p0 = np.array([pivot[0], 0.0, pivot[1]])
    return [Convex((p.verts - p0) @ rot.T + p0, p.part) for p in parts]


def front(rng, kind, x0, x1, y0, y1, z, hstyle, t, hinge=1, ajar=0.0):
    """The parts closing (or not) one cell x0..x1, y0..y1 of a case whose front edges are at z.

    kind: "drawer", "door", "doors" (a pair), "glass" (framed glazing), "open" or "shelves2".."shelves4" (open
    with that many compartments); `hinge` (+-1) puts a single door's handle on the other side."""
    gap, ft = 0.003, rng.uniform(0.015, 0.025)
    parts = []
    if kind == "drawer":
        parts.append(block(x0 + gap, x1 - gap, y0 + gap, y1 - gap, z - 0.001, z + ft, "front"))
        parts += handle(rng, (x0 + x1) / 2, (y0 + y1) / 2 + (y1 - y0) * 0.15, z + ft, hstyle, False, min(x1 - x0, 0.5))
        if ajar:  # pulled out, its box showing
            out = 0.15 * ajar
            parts = [Convex(p.verts + [0, 0, out], p.part) for p in parts]
            parts.append(block(x0 + t, x1 - t, y0 + t, y1 - (y1 - y0) * 0.3, z - 0.1, z + out, "frame"))
    elif kind in ("door", "glass"):
        parts.append(block(x0 + gap, x1 - gap, y0 + gap, y1 - gap, z - 0.001, z + ft, "front" if kind == "door" else "glass"))
        if kind == "glass":  # a frame on the pane
            f = min(0.05, (x1 - x0) / 5, (y1 - y0) / 5)
            for a in ([x0, x0 + f, y0, y1], [x1 - f, x1, y0, y1], [x0 + f, x1 - f, y0, y0 + f], [x0 + f, x1 - f, y1 - f, y1]):
                parts.append(block(a[0] + gap, a[1] - gap, a[2] + gap, a[3] - gap, z + ft * 0.5, z + ft * 1.6, "front"))
        hx = x1 - 0.05 if hinge > 0 else x0 + 0.05
        hy = (y0 + y1) / 2 if y1 - y0 < 1.0 else y0 + min(1.0, (y1 - y0) * 0.55)
        parts += handle(rng, hx, hy, z + ft * (1.6 if kind == "glass" else 1), hstyle, True, min(y1 - y0, 0.6))
        if ajar:  # swung open about its hinge edge
            parts = rot_y_about(parts, (x0 + gap if hinge > 0 else x1 - gap, z - 0.001), ajar * hinge)
    elif kind == "doors":
        xm = (x0 + x1) / 2
        parts += front(rng, "door", x0, xm, y0, y1, z, hstyle, t, hinge=1, ajar=ajar)
        parts += front(rng, "door", xm, x1, y0, y1, z, hstyle, t, hinge=-1, ajar=ajar * (rng.random() < 0.5))
    elif kind.startswith("shelves"):
        n = int(kind[-1])
        for k in range(1, n):
            y = y0 + (y1 - y0) * k / n
            parts.append(block(x0, x1, y - t / 2, y + t / 2, z - 0.3, z, "frame"))  # cut to the case's depth by case()
    return parts


def case(rng, w, d, y0, h, t, columns, hstyle, back=True, top_over=(0.0, 0.0, 0.0), top_t=None, x_off=0.0, z_off=0.0):
    """A carcass of panels w x h x d standing at y0 (x centred on x_off, front at z_off + d / 2) with its fronts.

    `columns` is a list of (width share, [(height share, kind), ...] from the bottom); a vertical divider
    stands between columns and a shelf between rows, so open cells are compartments. `top_over` (sides,
    front, back) lets the top overhang. Some cases have a door standing open or a drawer pulled out, as
    some catalogue models do. Returns the parts."""
    cells = [(i, j) for i, (_, rows) in enumerate(columns) for j, (_, kind) in enumerate(rows) if not kind.startswith("shelves")]
    opened = cells[rng.integers(len(cells))] if cells and rng.random() < 0.25 else None
    top_t = t if top_t is None else top_t
    zf, zb = z_off + d / 2, z_off - d / 2
    xl, xr = x_off - w / 2, x_off + w / 2
    parts = [block(xl, xl + t, y0, y0 + h - top_t, zb, zf), block(xr - t, xr, y0, y0 + h - top_t, zb, zf),
             block(xl - top_over[0], xr + top_over[0], y0 + h - top_t, y0 + h, zb - top_over[2], zf + top_over[1], "top"),
             block(xl, xr, y0, y0 + t, zb, zf)]
    if back:
        parts.append(block(xl, xr, y0, y0 + h - top_t, zb, zb + 0.012))
    shares = np.array([c[0] for c in columns], float)
    edges = xl + t / 2 + np.concatenate([[0], np.cumsum(shares / shares.sum())]) * (w - t)
    inner0, inner1 = y0 + t, y0 + h - top_t
    for i, (_, rows) in enumerate(columns):
        if 0 < i:
            parts.append(block(edges[i] - t / 2, edges[i] + t / 2, inner0, inner1, zb, zf))
        hs = np.array([r[0] for r in rows], float)
        ys = inner0 + np.concatenate([[0], np.cumsum(hs / hs.sum())]) * (inner1 - inner0)
        for j, (_, kind) in enumerate(rows):
            if j > 0 and not (kind == "drawer" and rows[j - 1][1] == "drawer"):
                parts.append(block(edges[i], edges[i + 1], ys[j] - t / 2, ys[j] + t / 2, zb, zf))
            a, b = edges[i] - t / 2, edges[i + 1] + t / 2
            new = front(rng, kind, a, b, ys[j] - (t / 2 if j else t), ys[j + 1] + (t / 2 if j < len(rows) - 1 else 0), zf, hstyle, t,
                        ajar=rng.uniform(0.5, 1.9) if opened == (i, j) else 0.0)
            for p in new:  # open shelves: span the case's depth
                if kind.startswith("shelves"):
                    v = p.verts.copy()
                    v[:, 2] = np.where(v[:, 2] < zf - 0.01, zb, zf - 0.005)
                    p = Convex(v, "frame")
                parts.append(p)
    return parts


def base(rng, w, d, y_base, style, on, x_off=0.0, z_off=0.0):
    """What a case of footprint w x d stands on, from the floor to y_base: "plinth", "legs", "tall_legs",
    "bun", "frame" (metal legs and rails), "castors" or "sled" (two bent runners)."""
    if style == "plinth":
        ins = rng.uniform(0.0, 0.06)
        return [block(x_off - w / 2 + ins, x_off + w / 2 - ins, 0, y_base + 0.005, z_off - d / 2 + ins, z_off + d / 2 - ins * 1.5)]
    if style in ("legs", "tall_legs", "frame"):
        t = rng.uniform(0.025, 0.05) if style != "frame" else rng.uniform(0.015, 0.03)
        splay = rng.uniform(0.0, 0.06) if style == "tall_legs" and rng.random() < 0.6 else 0.0
        ww, dd = w - rng.uniform(0.0, 0.15) * (style != "frame"), d - rng.uniform(0.0, 0.1) * (style != "frame")
        legs, feet, tops, lt = four_legs(rng, ww, dd, on, t=t, splay=splay, round_=rng.random() < 0.5,
                                         taper=rng.uniform(0.5, 1.0) if style != "frame" else 1.0)
        if style == "frame":
            legs += stretchers(rng, feet, tops, lt, "box")
        return legs
    if style == "bun":
        r = min(rng.uniform(0.03, 0.07), w / 6, d / 6)
        return [cylinder([x_off + sx * (w / 2 - r * 1.3), y_base / 2 + 0.003, z_off + sz * (d / 2 - r * 1.3)], r, y_base / 2 + 0.003, sides=8)
                for sx in (-1, 1) for sz in (-1, 1)]
    if style == "castors":
        r = y_base / 2
        return [cylinder([x_off + sx * (w / 2 - r * 1.5), r + 0.002, z_off + sz * (d / 2 - r * 1.5)], r, r * 0.5, axis=(1, 0, 0),
                         part="handle", sides=8) for sx in (-1, 1) for sz in (-1, 1)]
    # sled: a runner under each side rising to the case's bottom
    t = rng.uniform(0.02, 0.035)
    parts = []
    for sx in (-1, 1):
        x = x_off + sx * (w / 2 - t)
        za, zb = z_off - d / 2 + t, z_off + d / 2 - t
        parts += [bar([x, y_base + 0.01, za], [x, t / 2, za], t), bar([x, t / 2, za], [x, t / 2, zb], t),
                  bar([x, t / 2, zb], [x, y_base + 0.01, zb], t)]
    return parts


# ---------------------------------------------------------------------------------------------------
# Layout helpers.
# ---------------------------------------------------------------------------------------------------
def _drawers(n, rng, graded=None):
    graded = rng.random() < 0.5 if graded is None else graded
    return [(1.0 + (0.15 * (n - k) if graded else 0.0), "drawer") for k in range(n)]


def _handle_style(rng):
    return rng.choice(["bar", "knob", "cup", "none"], p=[0.45, 0.25, 0.15, 0.15])


def _base_style(rng, p=(0.3, 0.3, 0.1, 0.1, 0.1, 0.05, 0.05)):
    styles = ("plinth", "legs", "tall_legs", "bun", "frame", "castors", "sled")
    s = rng.choice(styles, p=np.array(p) / np.sum(p))
    y = {"plinth": rng.uniform(0.04, 0.12), "legs": rng.uniform(0.06, 0.2), "tall_legs": rng.uniform(0.2, 0.45),
         "bun": rng.uniform(0.03, 0.08), "frame": rng.uniform(0.1, 0.4), "castors": rng.uniform(0.04, 0.07),
         "sled": rng.uniform(0.05, 0.25)}[s]
    return s, y


def _standing(rng, w, d, h, t, columns, style=None, y_base=None, **kw):
    """A case on a base: the base's height counts in h."""
    if style is None:
        style, y_base = _base_style(rng)
    y_base = min(y_base, h * 0.45)
    over = rng.uniform(0.0, 0.04) if rng.random() < 0.4 else 0.0
    kw.setdefault("top_over", (over, over * rng.uniform(0.3, 1.0), 0.0))
    body = case(rng, w, d, y_base, h - y_base, t, columns, _handle_style(rng) if "hstyle" not in kw else kw.pop("hstyle"), **kw)
    return body + base(rng, w, d, y_base, style, [body[3]])


# ---------------------------------------------------------------------------------------------------
# Families.
# ---------------------------------------------------------------------------------------------------
def wardrobe(rng):
    w, d, h, t = rng.uniform(0.8, 2.2), rng.uniform(0.45, 0.68), rng.uniform(1.7, 2.3), rng.uniform(0.02, 0.03)
    n = max(1, int(round(w / rng.uniform(0.45, 0.7))))
    drawers = int(rng.choice([0, 0, 1, 2]))
    columns = []
    for k in range(n):
        rows = _drawers(drawers, rng, False) + [(rng.uniform(4, 8), "door" if rng.random() < 0.85 else "glass")]
        columns.append((1.0, rows))
    if n >= 3 and rng.random() < 0.4:  # an open column of shelves in the middle
        columns[n // 2] = (1.0, [(1.0, "shelves" + str(int(rng.integers(3, 5))))])
    style, y_base = _base_style(rng, (0.5, 0.3, 0.0, 0.15, 0.05, 0.0, 0.0))
    parts = _standing(rng, w, d, h, t, columns, style, y_base)
    if rng.random() < 0.5:  # a cornice
        c = rng.uniform(0.02, 0.06)
        parts.append(block(-w / 2 - c, w / 2 + c, h - 0.005, h + rng.uniform(0.03, 0.1), -d / 2, d / 2 + c, "top"))
    return parts


def chest(rng):
    w, d, h, t = rng.uniform(0.5, 1.7), rng.uniform(0.38, 0.58), rng.uniform(0.6, 1.4), rng.uniform(0.015, 0.03)
    rows = int(rng.integers(3, 8 if h > 1.0 else 5))
    cols = 1 if w < 0.8 else int(rng.choice([1, 2, 2, 3]))
    columns = [(1.0, _drawers(rows, rng)) for _ in range(cols)]
    return _standing(rng, w, d, h, t, columns)


def sideboard(rng):
    w, d, h, t = rng.uniform(1.1, 2.4), rng.uniform(0.38, 0.55), rng.uniform(0.6, 1.0), rng.uniform(0.018, 0.03)
    n = int(rng.integers(2, 5))
    columns = []
    for k in range(n):
        c = rng.random()
        if c < 0.45:
            rows = [(1.0, "door" if rng.random() < 0.6 else "glass")]
        elif c < 0.7:
            rows = _drawers(int(rng.integers(2, 5)), rng)
        elif c < 0.85:
            rows = [(3.0, "door"), (1.0, "drawer")]
        else:
            rows = [(1.0, "shelves" + str(int(rng.integers(1, 4))))]
        columns.append((rng.uniform(0.7, 1.3), rows))
    style, y_base = _base_style(rng, (0.25, 0.3, 0.3, 0.05, 0.1, 0.0, 0.0))
    return _standing(rng, w, d, h, t, columns, style, y_base)


def shelving(rng):
    w, d, h, t = rng.uniform(0.5, 1.8), rng.uniform(0.25, 0.45), rng.uniform(0.8, 2.2), rng.uniform(0.018, 0.035)
    cols = int(rng.integers(1, 4))
    n = int(rng.integers(2, 6))
    doors = rng.random() < 0.5
    columns = []
    for k in range(cols):
        rows = []
        if doors:
            rows.append((rng.uniform(1.5, 3.0), "doors" if w / cols > 0.6 else "door"))
        rows += [(1.0, "shelves1")] * n
        columns.append((1.0, rows))
    style, y_base = _base_style(rng, (0.5, 0.3, 0.0, 0.1, 0.1, 0.0, 0.0))
    return _standing(rng, w, d, h, t, columns, style, y_base, back=rng.random() < 0.75)


def filing(rng):
    lateral = rng.random() < 0.3
    w = rng.uniform(0.75, 1.1) if lateral else rng.uniform(0.38, 0.5)
    d = rng.uniform(0.4, 0.5) if lateral else rng.uniform(0.55, 0.75)
    n = int(rng.integers(2, 6))
    h = n * rng.uniform(0.25, 0.34) + 0.05
    style, y_base = ("castors", rng.uniform(0.04, 0.06)) if rng.random() < 0.3 else ("plinth", rng.uniform(0.02, 0.06))
    return _standing(rng, w, d, h, rng.uniform(0.01, 0.02), [(1.0, _drawers(n, rng, False))], style, y_base,
                     hstyle=rng.choice(["bar", "cup"]))


def nightstand(rng):
    w, d, h, t = rng.uniform(0.35, 0.65), rng.uniform(0.3, 0.5), rng.uniform(0.4, 0.75), rng.uniform(0.015, 0.03)
    c = rng.random()
    if c < 0.3:
        rows = [(1.0, "shelves1"), (0.8, "drawer")]
    elif c < 0.6:
        rows = _drawers(int(rng.integers(2, 4)), rng)
    elif c < 0.8:
        rows = [(2.0, "door"), (1.0, "drawer")]
    else:
        rows = [(1.0, "shelves2")]
    style, y_base = _base_style(rng, (0.2, 0.35, 0.3, 0.05, 0.1, 0.0, 0.0))
    return _standing(rng, w, d, h, t, [(1.0, rows)], style, y_base)


def tv_stand(rng):
    w, d, h, t = rng.uniform(1.0, 2.4), rng.uniform(0.32, 0.5), rng.uniform(0.3, 0.6), rng.uniform(0.018, 0.035)
    n = int(rng.integers(2, 5))
    columns = []
    for k in range(n):
        c = rng.random()
        rows = [(1.0, "shelves1")] if c < 0.4 else [(1.0, "shelves2")] if c < 0.55 else [(1.0, "door")] if c < 0.8 else \
            _drawers(int(rng.integers(1, 3)), rng, False)
        columns.append((rng.uniform(0.6, 1.4), rows))
    style, y_base = _base_style(rng, (0.3, 0.35, 0.1, 0.05, 0.1, 0.05, 0.05))
    return _standing(rng, w, d, h, t, columns, style, y_base, back=rng.random() < 0.6)


def hutch(rng):
    """A deep lower cabinet with a counter, a shallow upper cabinet set back on it."""
    w, d, t = rng.uniform(0.8, 1.8), rng.uniform(0.4, 0.6), rng.uniform(0.018, 0.03)
    h1 = rng.uniform(0.7, 0.95)
    n = int(rng.integers(1, 4))
    low = [(1.0, [(1.0, "door")] if rng.random() < 0.6 else [(2.0, "door"), (1.0, "drawer")]) for _ in range(n)]
    parts = _standing(rng, w, d, h1, t, low, *_base_style(rng, (0.5, 0.3, 0.0, 0.2, 0.0, 0.0, 0.0)),
                      top_over=(rng.uniform(0, 0.03), rng.uniform(0, 0.04), 0.0))
    d2 = d * rng.uniform(0.4, 0.7)
    gap = rng.uniform(0.0, 0.45)
    kind = rng.choice(["glass", "open", "door"])
    up = [(1.0, [(1.0, "shelves" + str(int(rng.integers(2, 5))))] if kind == "open" else [(1.0, kind)]) for _ in range(n)]
    h2 = rng.uniform(0.6, 1.2)
    if gap > 0.1:  # the upper cabinet on two side posts, an open gap above the counter
        for sx in (-1, 1):
            parts.append(block(sx * w / 2, sx * (w / 2 - 2 * t), h1 - 0.01, h1 + gap + 0.01, -d / 2, -d / 2 + d2 * 0.6))
    else:
        gap = 0.0
    parts += case(rng, w * rng.uniform(0.9, 1.0) if gap == 0 else w, d2, h1 + gap, h2, t, up, _handle_style(rng),
                  z_off=-d / 2 + d2 / 2, top_over=(rng.uniform(0, 0.04), rng.uniform(0, 0.04), 0.0))
    return parts


def kitchen(rng):
    """A run of base units under one counter that overhangs the front, on a recessed toe kick."""
    n = int(rng.integers(1, 5))
    w = sum(rng.uniform(0.4, 0.8) for _ in range(n))
    d, h, t = rng.uniform(0.5, 0.65), rng.uniform(0.8, 0.95), 0.018
    columns = []
    for k in range(n):
        c = rng.random()
        rows = [(1.0, "doors" if w / n > 0.55 else "door")] if c < 0.5 else _drawers(int(rng.integers(2, 5)), rng, False) if c < 0.8 \
            else [(3.0, "door"), (1.0, "drawer")]
        columns.append((1.0, rows))
    kick = rng.uniform(0.08, 0.15)
    ct = rng.uniform(0.03, 0.05)
    parts = case(rng, w, d, kick, h - kick, t, columns, _handle_style(rng), top_t=ct,
                 top_over=(rng.uniform(0.0, 0.03), rng.uniform(0.02, 0.05), 0.0))
    parts.append(block(-w / 2, w / 2, 0, kick + 0.005, -d / 2, d / 2 - rng.uniform(0.04, 0.08)))
    if rng.random() < 0.3:  # a tall unit at one end
        side = rng.choice([-1, 1])
        tw = rng.uniform(0.4, 0.65)
        parts += case(rng, tw, d, kick, rng.uniform(1.6, 2.1), t, [(1.0, [(1.0, "door"), (1.0, "door")])], "bar",
                      x_off=side * (w / 2 + tw / 2 - 0.001))
        parts.append(block(side * (w / 2), side * (w / 2 + tw), 0, kick + 0.005, -d / 2, d / 2 - 0.06))
    return parts


def cupboard(rng):
    w, d, h, t = rng.uniform(0.3, 0.7), rng.uniform(0.3, 0.6), rng.uniform(1.2, 2.0), rng.uniform(0.015, 0.03)
    c = rng.random()
    rows = [(1.0, "door")] if c < 0.4 else [(1.0, "door"), (1.0, rng.choice(["door", "glass", "shelves3"]))] if c < 0.8 else \
        [(1.0, "door"), (0.4, "drawer"), (1.2, "glass")]
    return _standing(rng, w, d, h, t, [(1.0, rows)], *_base_style(rng, (0.4, 0.3, 0.1, 0.1, 0.1, 0.0, 0.0)))


def highboard(rng):
    """A case lifted on a tall open stand (legs and rails), often with a lower shelf."""
    w, d, t = rng.uniform(0.6, 1.4), rng.uniform(0.35, 0.55), rng.uniform(0.015, 0.03)
    stand = rng.uniform(0.3, 0.8)
    hc = rng.uniform(0.4, 1.1)
    n = int(rng.integers(1, 3))
    options = ([(1.0, "door")], [(1.0, "glass")], _drawers(int(rng.integers(2, 5)), rng))
    columns = [(1.0, options[rng.choice(3, p=[0.4, 0.3, 0.3])]) for _ in range(n)]
    parts = case(rng, w, d, stand, hc, t, columns, _handle_style(rng))
    parts += base(rng, w, d, stand, rng.choice(["tall_legs", "frame"]), [parts[3]])
    if rng.random() < 0.5:
        y = stand * rng.uniform(0.15, 0.4)
        parts.append(block(-w / 2 + 0.02, w / 2 - 0.02, y, y + t, -d / 2 + 0.02, d / 2 - 0.02))
        for sx in (-1, 1):
            for sz in (-1, 1):
                parts.append(bar([sx * (w / 2 - 0.04), 0, sz * (d / 2 - 0.04)], [sx * (w / 2 - 0.04), stand + 0.01, sz * (d / 2 - 0.04)], 0.03))
    return parts


def wall_unit(rng):
    """Cases of different heights side by side: tall columns beside a low middle, or a tall and a low one."""
    d, t = rng.uniform(0.35, 0.55), rng.uniform(0.018, 0.03)
    tall, low = rng.uniform(1.4, 2.2), rng.uniform(0.4, 0.9)
    pattern = rng.choice(["tlt", "tl", "ltl", "tll"])
    widths = [rng.uniform(0.4, 0.8) if c == "t" else rng.uniform(0.8, 1.6) for c in pattern]
    x = -sum(widths) / 2
    parts = []
    for c, w in zip(pattern, widths):
        h = tall if c == "t" else low
        kinds = ["door", "glass", "shelves3", "shelves4"] if c == "t" else ["door", "shelves1", "shelves2", "drawer"]
        rows = [(1.0, rng.choice(kinds)) for _ in range(int(rng.integers(1, 3)))]
        dd = d if c == "t" or rng.random() < 0.5 else d * rng.uniform(0.7, 1.0)
        parts += case(rng, w, dd, 0.0, h, t, [(1.0, rows)], "knob", x_off=x + w / 2, z_off=(dd - d) / 2)
        x += w - 0.001
    if pattern == "tlt" and rng.random() < 0.6:  # a bridge of shelves over the low middle
        parts += case(rng, widths[1] + 0.002, d * 0.7, tall - rng.uniform(0.3, 0.5), rng.uniform(0.3, 0.5), t,
                      [(1.0, [(1.0, "shelves1")])], "none", x_off=(widths[0] - widths[2]) / 2, z_off=-d * 0.15)
    return parts


def cubes(rng):
    """A grid of open cubes without a back, some holding doors, drawers or bins."""
    nx, ny = int(rng.integers(1, 5)), int(rng.integers(1, 5))
    c, d, t = rng.uniform(0.3, 0.4), rng.uniform(0.3, 0.4), rng.uniform(0.015, 0.035)
    fill = rng.uniform(0.0, 0.5)
    columns = [(1.0, [(1.0, "shelves1" if rng.random() > fill else rng.choice(["door", "drawer"])) for _ in range(ny)])
               for _ in range(nx)]
    style, y_base = ("legs", rng.uniform(0.05, 0.2)) if rng.random() < 0.4 else ("plinth", 0.0)
    if y_base == 0.0:
        return case(rng, nx * c, d, 0.0, ny * c, t, columns, "none", back=rng.random() < 0.3)
    return _standing(rng, nx * c, d, ny * c + y_base, t, columns, style, y_base, back=rng.random() < 0.3, hstyle="none")


def rack(rng):
    """An open frame: four posts, shelves between them, no sides (a utility or metal shelving unit, a trolley)."""
    w, d, h = rng.uniform(0.5, 1.6), rng.uniform(0.3, 0.6), rng.uniform(0.5, 2.0)
    n = int(rng.integers(2, 7 if h > 1.0 else 4))
    pt = rng.uniform(0.02, 0.05)
    round_ = rng.random() < 0.5
    lift = rng.uniform(0.0, 0.2)
    parts = [bar([sx * (w / 2 - pt / 2), 0, sz * (d / 2 - pt / 2)], [sx * (w / 2 - pt / 2), h, sz * (d / 2 - pt / 2)], pt, round_=round_)
             for sx in (-1, 1) for sz in (-1, 1)]
    st = rng.uniform(0.01, 0.04)
    for k in range(n):
        y = lift + (h - lift - st) * k / (n - 1)
        parts.append(block(-w / 2, w / 2, y, y + st, -d / 2, d / 2, "top" if k == n - 1 else "frame"))
    if rng.random() < 0.4:  # closed sides or back
        parts.append(block(-w / 2, w / 2, lift, h, -d / 2, -d / 2 + 0.01))
    if rng.random() < 0.3:
        for sx in (-1, 1):
            parts.append(block(sx * w / 2 - 0.005, sx * w / 2 + 0.005, lift, h, -d / 2, d / 2))
    return parts


def bureau(rng):
    """A chest of drawers with a slanted fall front above it, sometimes a shallow top section."""
    w, d, t = rng.uniform(0.7, 1.2), rng.uniform(0.45, 0.6), rng.uniform(0.018, 0.03)
    h1 = rng.uniform(0.7, 0.85)
    parts = _standing(rng, w, d, h1, t, [(1.0, _drawers(int(rng.integers(2, 5)), rng))], top_over=(0.0, 0.0, 0.0))
    h2 = rng.uniform(0.2, 0.35)
    d2 = d * rng.uniform(0.45, 0.65)
    pts = [[sx * w / 2, y, z] for sx in (-1, 1) for y, z in ((h1 - 0.01, -d / 2), (h1 - 0.01, d / 2), (h1 + h2, -d / 2), (h1 + h2, -d / 2 + d2))]
    parts.append(Convex(pts, "front"))
    if rng.random() < 0.4:
        parts += case(rng, w, d2 * 0.8, h1 + h2 - 0.005, rng.uniform(0.3, 0.9), t, [(1.0, [(1.0, rng.choice(["glass", "shelves2"]))])],
                      "knob", z_off=-d / 2 + d2 * 0.4)
    return parts


def stepped(rng):
    """Staircase shelving: columns of open cubes, each a row taller than the last."""
    n = int(rng.integers(2, 6))
    c, d, t = rng.uniform(0.3, 0.45), rng.uniform(0.25, 0.4), rng.uniform(0.015, 0.03)
    x = -n * c / 2
    parts = []
    order = range(1, n + 1) if rng.random() < 0.5 else range(n, 0, -1)
    for k in order:
        parts += case(rng, c, d, 0.0, k * c, t, [(1.0, [(1.0, "shelves1")] * k)], "none", back=rng.random() < 0.5, x_off=x + c / 2)
        x += c - 0.001
    return parts


BUILDERS = {"wall_unit": wall_unit, "cubes": cubes, "rack": rack, "bureau": bureau, "stepped": stepped, "wardrobe": wardrobe, "chest": chest, "sideboard": sideboard, "shelving": shelving, "filing": filing,
            "nightstand": nightstand, "tv_stand": tv_stand, "hutch": hutch, "kitchen": kitchen, "cupboard": cupboard,
            "highboard": highboard}
assert set(BUILDERS) == set(FAMILIES)


def _colours(rng):
    """Carcass, fronts, top, glazing and handles: wood, painted, laminate or metal."""
    material = rng.choice(["wood", "painted", "laminate", "metal"], p=[0.4, 0.25, 0.2, 0.15])
    if material == "wood":
        frame = hsv(rng.uniform(0.05, 0.1), rng.uniform(0.4, 0.8), rng.uniform(0.3, 0.8))
    elif material == "metal":
        g = rng.uniform(0.45, 0.85)
        frame = (g, g, g * rng.uniform(0.95, 1.05))
    else:
        frame = hsv(rng.uniform(0, 1), rng.uniform(0.0, 0.6), rng.uniform(0.5, 0.97))
    fronts = frame if rng.random() < 0.6 else hsv(rng.uniform(0, 1), rng.uniform(0.0, 0.7), rng.uniform(0.3, 0.95))
    g = rng.uniform(0.2, 0.8)
    colours = {"frame": frame, "front": fronts, "top": frame if rng.random() < 0.7 else fronts,
               "glass": hsv(0.55, 0.15, rng.uniform(0.6, 0.85)), "handle": (g, g, g)}
    shininess = {"wood": 10.0, "painted": 20.0, "laminate": 40.0, "metal": 100.0}[material] * rng.uniform(0.7, 1.3)
    specular = {"wood": 0.15, "painted": 0.2, "laminate": 0.35, "metal": 0.7}[material]
    return colours, (float(shininess), float(specular))


def make(seed, index):
    """(family, parts, colours per part, material) of cabinet `index`, a pure function of (seed, index).

    Each axis is stretched independently after the family builds it (0.52 to 1.92), so no two cabinets share
    their proportions."""
    rng = np.random.default_rng([seed, index, SYNSET])
    family = FAMILIES[rng.choice(len(FAMILIES), p=FAMILY_WEIGHTS)]
    parts = BUILDERS[family](rng)
    stretch = np.diag(np.exp(rng.uniform(-0.65, 0.65, 3)))
    parts = [p.transformed(stretch) for p in parts]
    floor = min(p.verts[:, 1].min() for p in parts)  # stand on y = 0 (bent feet and tubes reach a little below)
    parts = [Convex(p.verts - [0, floor, 0], p.part) for p in parts]
    colours, material = _colours(rng)
    return family, parts, colours, material
