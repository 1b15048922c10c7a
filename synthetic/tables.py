"""Procedural tables (ShapeNet synset 04379243): the families, their parts and proportions (geometry only, numpy).

A table is a list of closed convex parts (synthetic/primitives.py) in raw units (about metres), +y up, its long
side along x, in the chairs' frame (synthetic/chairs.py). Every table is a top over a support, so what a
one-view reconstruction has to generalise over is mostly the support and the proportions: four legs under an
apron, a central column on a star, disc or cross foot, trestles, solid slab ends, drawer pedestals, thin
metal frames, crossed legs; and tops from a small round side table to a five-metre conference table, from
a low coffee table to a bar table. Lower shelves, drawers and stretchers add the inner structure seen
through the legs.

The families: dining, pedestal, coffee, desk, trestle, glass (a thin top on a metal frame), side table,
conference, console, waterfall (slab ends), bar table and kitchen island. Every axis is then stretched
independently.
"""
import numpy as np

from synthetic.cabinets import block, case, front, _drawers
from synthetic.chairs import apron, four_legs, pedestal, stretchers, along
from synthetic.primitives import Convex, bar, cylinder, hsv, rounded_rect, slab

SYNSET = 4379243
FAMILIES = ("dining", "pedestal", "coffee", "desk", "trestle", "glass", "side", "conference", "console", "waterfall",
            "bar", "island", "x_legs")
FAMILY_WEIGHTS = np.array([9, 9, 9, 10, 6, 5, 7, 4, 4, 6, 3, 3, 5], float)
FAMILY_WEIGHTS /= FAMILY_WEIGHTS.sum()


def outline(rng, w, d, shape):
    """(K, 2) convex outline of a top w x d: "rect", "rounded", "round" (an ellipse), "racetrack", "octagon"."""
    if shape == "rect":
        return np.array([[w / 2, d / 2], [-w / 2, d / 2], [-w / 2, -d / 2], [w / 2, -d / 2]])
    if shape == "rounded":
        return rounded_rect(w, d, rng.uniform(0.02, 0.2))
    if shape == "round":
        a = 2 * np.pi * np.arange(20) / 20
        return np.stack([w / 2 * np.cos(a), d / 2 * np.sin(a)], 1)
    if shape == "racetrack":
        return rounded_rect(w, d, d / 2, per_corner=5)
    a = 2 * np.pi * (np.arange(8) + 0.5) / 8
    return np.stack([w / 2 / np.cos(np.pi / 8) * np.cos(a), d / 2 / np.cos(np.pi / 8) * np.sin(a)], 1)


def top(rng, w, d, h, t, shape):
    return [slab(outline(rng, w, d, shape), h - t, h, part="top")]


def _shape(rng, p=(0.45, 0.25, 0.12, 0.1, 0.08)):
    return rng.choice(["rect", "rounded", "round", "racetrack", "octagon"], p=np.array(p) / np.sum(p))


def leg_table(rng, w, d, h, t, shape, lt=None, apron_p=0.6, stretch_p=0.3, inset=0.0, splay=None):
    parts = top(rng, w, d, h, t, shape)
    lt = rng.uniform(0.03, 0.09) if lt is None else lt
    legs, feet, tops, lt = four_legs(rng, w - 2 * inset, d - 2 * inset, parts, t=lt, splay=splay)
    parts += legs
    if rng.random() < apron_p and shape in ("rect", "rounded"):
        parts += apron(np.ptp(tops[:, 0]) + lt, np.ptp(tops[:, 2]) + lt, h - t + 0.005, rng.uniform(0.05, 0.14), rng.uniform(0.015, 0.03))
    if rng.random() < stretch_p:
        parts += stretchers(rng, feet, tops, lt, rng.choice(["h", "box"]))
    return parts, feet, tops, lt


def lower_shelf(rng, feet, tops, lt, y=None):
    y = rng.uniform(0.1, 0.3) * tops[0, 1] if y is None else y
    p = along(feet, tops, y)
    x0, x1, z0, z1 = p[:, 0].min(), p[:, 0].max(), p[:, 2].min(), p[:, 2].max()
    return [block(x0 - lt / 2, x1 + lt / 2, y, y + rng.uniform(0.015, 0.03), z0 - lt / 2, z1 + lt / 2, "shelf")]


# ---------------------------------------------------------------------------------------------------
# Families.
# ---------------------------------------------------------------------------------------------------
def dining(rng):
    w, d, h, t = rng.uniform(0.9, 2.4), rng.uniform(0.7, 1.1), rng.uniform(0.7, 0.78), rng.uniform(0.025, 0.06)
    shape = _shape(rng, (0.4, 0.25, 0.15, 0.15, 0.05))
    inset = rng.uniform(0.05, 0.3) * min(w, d) if rng.random() < 0.5 else 0.0
    parts, feet, tops, lt = leg_table(rng, w, d, h, t, shape, lt=rng.uniform(0.03, 0.12), inset=inset,
                                      splay=rng.uniform(0.0, 0.15) if rng.random() < 0.3 else 0.0)
    if rng.random() < 0.2:
        parts += lower_shelf(rng, feet, tops, lt)
    return parts


def pedestal_table(rng):
    r = rng.uniform(0.35, 0.7)
    w, d = 2 * r, 2 * r * (rng.uniform(1.0, 1.8) if rng.random() < 0.3 else 1.0)
    w, d = max(w, d), min(w, d)
    h, t = rng.uniform(0.68, 0.78), rng.uniform(0.025, 0.06)
    parts = top(rng, w, d, h, t, rng.choice(["round", "round", "octagon", "rounded"]))
    foot = rng.choice(["star", "disc", "trumpet", "cross", "column"])
    if foot == "cross":  # a column on four splayed feet
        cr = rng.uniform(0.04, 0.1)
        parts.append(cylinder([0, (h - t) / 2 + 0.05, 0], cr, (h - t) / 2 - 0.04, sides=8))
        reach = r * rng.uniform(0.5, 0.8)
        for a in np.pi / 4 + np.pi / 2 * np.arange(4) + (np.pi / 4 if rng.random() < 0.5 else 0):
            parts.append(bar([0, 0.12, 0], [reach * np.cos(a), 0.02, reach * np.sin(a)], rng.uniform(0.04, 0.07)))
        return parts
    if foot == "column":  # a thick column on a square or round plinth
        cr = rng.uniform(0.06, 0.2)
        parts.append(cylinder([0, h / 2, 0], cr, h / 2 - 0.01, sides=int(rng.choice([4, 8, 12]))))
        br = cr * rng.uniform(1.5, 3.0)
        parts.append(cylinder([0, 0.03, 0], br, 0.03, sides=int(rng.choice([4, 12]))))
        return parts
    if d > w * 1.2 or w > d * 1.2:  # an oval top: two pedestals
        for sx in (-1, 1):
            ped = pedestal(rng, h - t, foot="disc" if foot == "disc" else "trumpet", wheels=False)
            parts += [Convex(p.verts + [sx * w * 0.25, 0, 0], p.part) for p in ped]
        parts.append(block(-w * 0.25, w * 0.25, h - t - 0.08, h - t + 0.005, -0.04, 0.04))
        return parts
    return parts + pedestal(rng, h - t, foot=foot, spokes=int(rng.choice([3, 4])), wheels=False)


def coffee(rng):
    w, d, h, t = rng.uniform(0.7, 1.5), rng.uniform(0.4, 0.9), rng.uniform(0.3, 0.5), rng.uniform(0.02, 0.08)
    kind = rng.random()
    if kind < 0.45:
        parts, feet, tops, lt = leg_table(rng, w, d, h, t, _shape(rng), apron_p=0.5, stretch_p=0.1)
        if rng.random() < 0.5:
            parts += lower_shelf(rng, feet, tops, lt)
        return parts
    if kind < 0.7:  # a box base: drawers or open compartments under the top
        parts = top(rng, w, d, h, t, "rect")
        bw, bd = w * rng.uniform(0.7, 1.0), d * rng.uniform(0.7, 1.0)
        style = rng.choice(["shelves1", "drawer", "shelves2"])
        parts += case(rng, bw, bd, rng.uniform(0.0, 0.1), h - t + 0.005 - 0.0, 0.02, [(1.0, [(1.0, style)])] * int(rng.integers(1, 4)), "knob")
        if parts[-1].verts[:, 1].min() > 0.001:  # the case on short feet
            y = min(p.verts[:, 1].min() for p in parts[1:])
            parts += [block(sx * bw / 2 - 0.04 * sx, sx * bw / 2, 0, y + 0.005, sz * bd / 2 - 0.04 * sz, sz * bd / 2)
                      for sx in (-1, 1) for sz in (-1, 1)]
        return parts
    # round drum or a top on a low plinth
    parts = top(rng, w, w if rng.random() < 0.6 else d, h, t, rng.choice(["round", "rounded", "octagon"]))
    r = rng.uniform(0.2, 0.45) * min(w, d)
    parts.append(cylinder([0, (h - t) / 2, 0], r, (h - t) / 2 + 0.005, sides=12))
    return parts


def desk(rng):
    w, d, h, t = rng.uniform(1.0, 2.0), rng.uniform(0.5, 0.85), rng.uniform(0.72, 0.78), rng.uniform(0.02, 0.05)
    parts = top(rng, w, d, h, t, "rect")
    pw = rng.uniform(0.35, 0.5)
    sides = [("ped" if rng.random() < 0.55 else rng.choice(["panel", "legs"])) for _ in range(2)]
    for sx, kind in zip((-1, 1), sides):
        x = sx * (w / 2 - pw / 2)
        if kind == "ped":
            rows = _drawers(int(rng.integers(2, 5)), rng) if rng.random() < 0.7 else [(2.0, "door"), (1.0, "drawer")]
            parts += case(rng, pw, d * rng.uniform(0.85, 1.0), 0.0, h - t + 0.002, 0.02, [(1.0, rows)], "bar", x_off=x)
        elif kind == "panel":
            pt = rng.uniform(0.02, 0.05)
            parts.append(block(sx * (w / 2 - pt), sx * w / 2, 0, h - t + 0.002, -d / 2, d / 2, "frame"))
        else:
            lt = rng.uniform(0.03, 0.06)
            for sz in (-1, 1):
                xl = sx * (w / 2 - lt / 2 - 0.02)
                parts.append(bar([xl, 0, sz * (d / 2 - lt)], [xl, h - t + 0.005, sz * (d / 2 - lt)], lt))
    if rng.random() < 0.6:  # a modesty panel at the back
        parts.append(block(-w / 2 + 0.02, w / 2 - 0.02, h * rng.uniform(0.3, 0.6), h - t + 0.002, -d / 2 + 0.02, -d / 2 + 0.04))
    if rng.random() < 0.5:  # a centre drawer
        dw = w - 2 * pw if "ped" in sides else w * 0.5
        parts.append(block(-dw / 2, dw / 2, h - t - 0.1, h - t + 0.002, -d / 2 + 0.05, d / 2 - 0.01, "drawer"))
    if rng.random() < 0.25:  # a hutch of shelves on the top's back edge
        hd = d * rng.uniform(0.2, 0.4)
        parts += case(rng, w, hd, h - 0.002, rng.uniform(0.3, 0.7), 0.02, [(1.0, [(1.0, "shelves2")])] * int(rng.integers(1, 4)), "none",
                      z_off=-d / 2 + hd / 2)
    elif rng.random() < 0.2:  # an L-shaped return
        rw, rd = rng.uniform(0.4, 0.6), rng.uniform(0.6, 1.2)
        side = rng.choice([-1, 1])
        parts.append(block(side * w / 2 - side * rw, side * w / 2, h - t, h, d / 2 - 0.01, d / 2 + rd, "top"))
        parts.append(block(side * w / 2 - side * 0.03, side * w / 2, 0, h - t + 0.002, d / 2, d / 2 + rd))
    return parts


def trestle(rng):
    w, d, h, t = rng.uniform(1.4, 2.8), rng.uniform(0.7, 1.1), rng.uniform(0.7, 0.78), rng.uniform(0.03, 0.08)
    parts = top(rng, w, d, h, t, rng.choice(["rect", "rounded", "racetrack"]))
    inset = w * rng.uniform(0.1, 0.25)
    pt = rng.uniform(0.05, 0.14)
    fd = d * rng.uniform(0.6, 0.95)
    style = rng.choice(["post", "a", "slab"])
    for sx in (-1, 1):
        x = sx * (w / 2 - inset)
        foot_h = rng.uniform(0.04, 0.1)
        parts.append(block(x - pt * 0.6, x + pt * 0.6, 0, foot_h, -fd / 2, fd / 2))  # foot
        parts.append(block(x - pt * 0.6, x + pt * 0.6, h - t - foot_h, h - t + 0.002, -fd / 2, fd / 2))  # cleat
        if style == "post":
            parts.append(block(x - pt / 2, x + pt / 2, foot_h - 0.005, h - t - foot_h + 0.005, -pt / 2 * rng.uniform(1, 3), pt / 2 * rng.uniform(1, 3)))
        elif style == "slab":
            parts.append(block(x - pt / 2, x + pt / 2, foot_h - 0.005, h - t - foot_h + 0.005, -fd / 2 * 0.8, fd / 2 * 0.8))
        else:
            for sz in (-1, 1):
                parts.append(bar([x, foot_h / 2, sz * (fd / 2 - pt / 2)], [x, h - t - foot_h / 2, sz * pt / 2], pt * 0.8))
    y = rng.uniform(0.2, 0.5) * h
    parts.append(block(-w / 2 + inset, w / 2 - inset, y, y + rng.uniform(0.05, 0.12), -0.035, 0.035))
    return parts


def glass(rng):
    w, d, t = rng.uniform(0.6, 1.8), rng.uniform(0.5, 1.0), rng.uniform(0.008, 0.02)
    h = rng.uniform(0.35, 0.78)
    shape = _shape(rng, (0.5, 0.2, 0.2, 0.1, 0.0))
    parts = [slab(outline(rng, w, d, shape), h - t, h, part="glass")]
    ft = rng.uniform(0.015, 0.035)
    ins = rng.uniform(0.02, 0.12)
    xs, zs = w / 2 - ins, d / 2 - ins
    if shape == "round":
        xs, zs = xs * 0.7, zs * 0.7
    corners = [np.array([sx * xs, sz * zs]) for sx in (-1, 1) for sz in (-1, 1)]
    y = h - t - ft / 2
    style = rng.choice(["legs", "sled", "cube"])
    for (a, b) in ((0, 1), (1, 3), (3, 2), (2, 0)):
        parts.append(bar([corners[a][0], y, corners[a][1]], [corners[b][0], y, corners[b][1]], ft, round_=True))
    if style == "cube":  # an open cuboid frame
        for (a, b) in ((0, 1), (1, 3), (3, 2), (2, 0)):
            parts.append(bar([corners[a][0], ft / 2, corners[a][1]], [corners[b][0], ft / 2, corners[b][1]], ft, round_=True))
    for c in corners:
        if style == "sled":
            continue
        parts.append(bar([c[0], 0, c[1]], [c[0], y + ft / 2, c[1]], ft, round_=True))
    if style == "sled":
        for sx in (-1, 1):
            parts.append(bar([sx * xs, y, -zs], [sx * xs, ft / 2, -zs * 0.8], ft, round_=True))
            parts.append(bar([sx * xs, y, zs], [sx * xs, ft / 2, zs * 0.8], ft, round_=True))
            parts.append(bar([sx * xs, ft / 2, -zs * 0.8], [sx * xs, ft / 2, zs * 0.8], ft, round_=True))
    if rng.random() < 0.4:  # a lower glass shelf
        y2 = rng.uniform(0.15, 0.4) * h
        parts.append(slab(outline(rng, 2 * xs + ft, 2 * zs + ft, "rect"), y2, y2 + t, part="glass"))
    return parts


def side(rng):
    s = rng.uniform(0.35, 0.65)
    w, d, h, t = s, s * rng.uniform(0.7, 1.3), rng.uniform(0.45, 0.75), rng.uniform(0.015, 0.05)
    shape = _shape(rng, (0.45, 0.15, 0.35, 0.0, 0.05))
    if shape == "round" and rng.random() < 0.5:  # three splayed legs
        parts = top(rng, w, d, h, t, shape)
        legs, feet, tops, lt = four_legs(rng, w * 0.8, d * 0.8, parts, n=3, splay=rng.uniform(0.0, 0.1))
        return parts + legs
    parts, feet, tops, lt = leg_table(rng, w, d, h, t, shape, lt=rng.uniform(0.02, 0.05), apron_p=0.5, stretch_p=0.2)
    if rng.random() < 0.5:
        parts += lower_shelf(rng, feet, tops, lt)
    if rng.random() < 0.35 and shape in ("rect", "rounded"):  # a drawer box under the top
        x0, x1 = tops[:, 0].min() + lt / 2, tops[:, 0].max() - lt / 2
        parts += front(rng, "drawer", x0, x1, h - t - 0.13, h - t + 0.002, tops[:, 2].max() + lt / 2, "knob", 0.02)
        parts.append(block(x0, x1, h - t - 0.13, h - t + 0.002, tops[:, 2].min(), tops[:, 2].max() + lt / 2, "drawer"))
    return parts


def conference(rng):
    w, d, h, t = rng.uniform(2.4, 5.0), rng.uniform(1.0, 1.6), rng.uniform(0.72, 0.78), rng.uniform(0.03, 0.06)
    parts = top(rng, w, d, h, t, rng.choice(["rect", "rounded", "racetrack"]))
    n = int(rng.integers(2, 4))
    kind = rng.choice(["panel", "drum", "legs"])
    for k in range(n):
        x = (k / (n - 1) - 0.5) * w * rng.uniform(0.55, 0.75)
        if kind == "panel":
            pw = rng.uniform(0.05, 0.3)
            parts.append(block(x - pw / 2, x + pw / 2, 0, h - t + 0.002, -d * 0.3, d * 0.3))
        elif kind == "drum":
            parts.append(cylinder([x, (h - t) / 2, 0], d * rng.uniform(0.15, 0.3), (h - t) / 2 + 0.002, sides=12))
        else:
            for sz in (-1, 1):
                parts.append(bar([x, 0, sz * d * 0.3], [x, h - t + 0.005, sz * d * 0.3], 0.06))
            parts.append(block(x - 0.03, x + 0.03, 0, 0.04, -d * 0.35, d * 0.35))
    parts.append(block(-w * 0.38, w * 0.38, h - t - 0.1, h - t + 0.002, -0.05, 0.05))
    return parts


def console(rng):
    w, d, h, t = rng.uniform(0.8, 1.8), rng.uniform(0.25, 0.45), rng.uniform(0.72, 0.9), rng.uniform(0.02, 0.05)
    parts, feet, tops, lt = leg_table(rng, w, d, h, t, "rect", lt=rng.uniform(0.025, 0.06), apron_p=0.7, stretch_p=0.0)
    if rng.random() < 0.7:
        parts += lower_shelf(rng, feet, tops, lt)
    if rng.random() < 0.4:
        n = int(rng.integers(1, 4))
        x0, x1 = tops[:, 0].min() + lt / 2, tops[:, 0].max() - lt / 2
        for k in range(n):
            a, b = x0 + (x1 - x0) * k / n, x0 + (x1 - x0) * (k + 1) / n
            parts += front(rng, "drawer", a, b, h - t - 0.14, h - t + 0.002, tops[:, 2].max() + lt / 2, "knob", 0.02)
        parts.append(block(x0, x1, h - t - 0.14, h - t + 0.002, tops[:, 2].min(), tops[:, 2].max() + lt / 2, "drawer"))
    return parts


def waterfall(rng):
    """A top on solid slab ends (a Parsons or waterfall table), sometimes a middle panel or shelf."""
    w, d = rng.uniform(0.6, 2.0), rng.uniform(0.4, 1.0)
    h = rng.uniform(0.3, 0.78)
    t = rng.uniform(0.02, 0.08)
    parts = top(rng, w, d, h, t, "rect")
    inset = rng.uniform(0.0, 0.2) if rng.random() < 0.4 else 0.0
    for sx in (-1, 1):
        x = sx * (w / 2 - inset)
        parts.append(block(x - sx * t, x, 0, h - t + 0.002, -d / 2 * rng.uniform(0.7, 1.0) if inset else -d / 2, d / 2 if not inset else d / 2 * 0.9))
    if rng.random() < 0.4:
        y = rng.uniform(0.1, 0.35) * h
        parts.append(block(-w / 2 + inset, w / 2 - inset, y, y + t, -d / 2 * 0.7, d / 2 * 0.7, "shelf"))
    elif rng.random() < 0.3:
        parts.append(block(-w / 2 + inset, w / 2 - inset, 0.0, h - t + 0.002, -d / 2, -d / 2 + t))
    return parts


def bar_table(rng):
    s = rng.uniform(0.5, 0.9)
    h, t = rng.uniform(0.95, 1.12), rng.uniform(0.025, 0.05)
    shape = rng.choice(["round", "rect", "rounded"])
    if rng.random() < 0.5:
        return top(rng, s, s * rng.uniform(0.8, 1.5), h, t, shape) + pedestal(rng, h - t, foot=rng.choice(["disc", "star", "trumpet"]), wheels=False, spokes=4)
    parts, feet, tops, lt = leg_table(rng, s * rng.uniform(1.0, 2.0), s, h, t, shape, lt=rng.uniform(0.03, 0.06), apron_p=0.3, stretch_p=0.0)
    return parts + stretchers(rng, feet, tops, lt, "ring")


def island(rng):
    """A kitchen island or counter table: a thick top over a cabinet, overhanging at the back for stools."""
    w, d, h = rng.uniform(1.0, 2.2), rng.uniform(0.8, 1.2), rng.uniform(0.85, 1.05)
    t = rng.uniform(0.03, 0.06)
    parts = top(rng, w, d, h, t, rng.choice(["rect", "rounded"]))
    cd = d * rng.uniform(0.5, 0.7)
    n = int(rng.integers(1, 4))
    cols = [(1.0, [(1.0, rng.choice(["door", "shelves2", "drawer"]))]) for _ in range(n)]
    parts += case(rng, w * rng.uniform(0.85, 1.0), cd, 0.0, h - t + 0.002, 0.02, cols, "bar", z_off=d / 2 - cd / 2 - 0.03)
    return parts


def x_legs(rng):
    """Crossed legs seen from the front or the side at each end, or hairpin legs."""
    w, d, h, t = rng.uniform(0.8, 2.2), rng.uniform(0.5, 1.0), rng.uniform(0.4, 0.78), rng.uniform(0.02, 0.06)
    parts = top(rng, w, d, h, t, rng.choice(["rect", "rounded"]))
    lt = rng.uniform(0.03, 0.07)
    style = rng.choice(["x_side", "x_front", "hairpin"])
    y = h - t + 0.005
    if style == "x_side":
        for sx in (-1, 1):
            x = sx * (w / 2 - rng.uniform(0.05, 0.2))
            parts += [bar([x, 0, -d / 2 + lt], [x, y, d / 2 - lt], lt), bar([x, 0, d / 2 - lt], [x, y, -d / 2 + lt], lt)]
        parts.append(bar([-w / 2 + 0.1, h / 2, 0], [w / 2 - 0.1, h / 2, 0], lt * 0.7))
    elif style == "x_front":
        for sz in (-1, 1):
            z = sz * (d / 2 - lt)
            parts += [bar([-w / 2 + lt, 0, z], [w / 2 - lt, y, z], lt), bar([w / 2 - lt, 0, z], [-w / 2 + lt, y, z], lt)]
    else:
        rt = rng.uniform(0.01, 0.02)
        for sx in (-1, 1):
            for sz in (-1, 1):
                x, z = sx * (w / 2 - 0.08), sz * (d / 2 - 0.08)
                parts += [bar([x, y, z], [x * 0.97, rt / 2, z * 0.9], rt, round_=True),
                          bar([x * 0.97, rt / 2, z * 0.9], [x * 0.97, y, z * 0.5], rt, round_=True)]
    return parts


BUILDERS = {"dining": dining, "pedestal": pedestal_table, "coffee": coffee, "desk": desk, "trestle": trestle, "glass": glass,
            "side": side, "conference": conference, "console": console, "waterfall": waterfall, "bar": bar_table,
            "island": island, "x_legs": x_legs}
assert tuple(BUILDERS) == FAMILIES


def _colours(rng):
    """Top, frame, shelf, drawers, fronts, glass and handles: wood, painted, laminate or metal frames."""
    material = rng.choice(["wood", "painted", "laminate", "metal"], p=[0.45, 0.2, 0.2, 0.15])
    if material == "wood":
        frame = hsv(rng.uniform(0.05, 0.1), rng.uniform(0.4, 0.8), rng.uniform(0.3, 0.8))
    elif material == "metal":
        g = rng.uniform(0.3, 0.85)
        frame = (g, g, g * rng.uniform(0.95, 1.05))
    else:
        frame = hsv(rng.uniform(0, 1), rng.uniform(0.0, 0.6), rng.uniform(0.3, 0.97))
    top_c = frame if rng.random() < 0.6 else hsv(rng.uniform(0.05, 0.12), rng.uniform(0.0, 0.7), rng.uniform(0.4, 0.95))
    g = rng.uniform(0.2, 0.8)
    colours = {"frame": frame, "top": top_c, "shelf": top_c if rng.random() < 0.6 else frame, "drawer": frame, "front": top_c,
               "glass": hsv(0.5, 0.12, rng.uniform(0.65, 0.9)), "handle": (g, g, g)}
    shininess = {"wood": 10.0, "painted": 20.0, "laminate": 40.0, "metal": 100.0}[material] * rng.uniform(0.7, 1.3)
    specular = {"wood": 0.15, "painted": 0.2, "laminate": 0.35, "metal": 0.7}[material]
    return colours, (float(shininess), float(specular))


def make(seed, index):
    """(family, parts, colours per part, material) of table `index`, a pure function of (seed, index).

    Each axis is stretched independently after the family builds it (0.55 to 1.82), so no two tables share
    their proportions."""
    rng = np.random.default_rng([seed, index, SYNSET])
    family = FAMILIES[rng.choice(len(FAMILIES), p=FAMILY_WEIGHTS)]
    parts = BUILDERS[family](rng)
    stretch = np.diag(np.exp(rng.uniform(-0.6, 0.6, 3)))
    parts = [p.transformed(stretch) for p in parts]
    floor = min(p.verts[:, 1].min() for p in parts)  # stand on y = 0 (bent feet and tubes reach a little below)
    parts = [Convex(p.verts - [0, floor, 0], p.part) for p in parts]
    colours, material = _colours(rng)
    return family, parts, colours, material
