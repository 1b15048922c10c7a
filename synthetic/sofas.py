"""Procedural sofas (ShapeNet synset 04256520): the families, their parts and proportions (geometry only, numpy).

A sofa is a list of closed convex parts (synthetic/primitives.py) in raw units (about metres), +y up, the sitting
side towards +z, long along x, in the chairs' frame (synthetic/chairs.py). Most sofas share one silhouette (a
seat block, a back behind it, an arm at each end), so a one-view reconstruction has to get the rest right: the
footprint (straight, L-shaped or U-shaped sectionals, a chaise end, a curved run), how the arms look (missing,
thin, wide boxes, rolled, as high as the back), how high and how reclined the back is, loose seat and back
cushions, and whether it stands on a plinth, bun feet or tall thin legs, or is a futon's mattress on a frame.

The families: standard (two or three seats), loveseat, L sectional, U sectional, chaise longue, futon,
modern (low, thin arms, tall legs), chesterfield (arms as high as the back, rolled), daybed (no arms or a back
running round three sides), curved and modular (armless blocks, a pouf). Every axis is then stretched
independently.
"""
import numpy as np

from synthetic.cabinets import block
from synthetic.chairs import four_legs
from synthetic.primitives import Convex, bar, blob, box, cylinder, hsv, rot_x, rounded_rect, slab

SYNSET = 4256520
FAMILIES = ("standard", "loveseat", "l_sectional", "u_sectional", "chaise", "futon", "modern", "chesterfield",
            "daybed", "curved", "modular")
FAMILY_WEIGHTS = np.array([8, 5, 10, 5, 6, 4, 6, 4, 4, 5, 5], float)
FAMILY_WEIGHTS /= FAMILY_WEIGHTS.sum()


def rot_y(a):
    c, s = np.cos(a), np.sin(a)
    return np.array([[c, 0, s], [0, 1, 0], [-s, 0, c]])


def moved(parts, rot=np.eye(3), shift=(0, 0, 0)):
    return [Convex(p.verts @ np.asarray(rot).T + shift, p.part) for p in parts]


def cushions(rng, x0, x1, z0, z1, y, th, n, soft, part="cushion"):
    """n seat cushions side by side over x0..x1, z0..z1, their bottom at y."""
    parts = []
    cw = (x1 - x0) / n
    for k in range(n):
        a = x0 + cw * k + 0.005
        if soft:
            parts.append(slab(rounded_rect(cw - 0.01, z1 - z0, rng.uniform(0.03, 0.08)) + [a + (cw - 0.01) / 2, (z0 + z1) / 2], y - 0.005, y + th, part))
        else:
            parts.append(block(a, a + cw - 0.01, y - 0.005, y + th, z0, z1, part))
    return parts


def arm(rng, x_in, x_out, z0, z1, y0, top, style):
    """An arm between x_in and x_out (outer side), from y0 up to top: "box", "rolled", "slope", "thin", "wedge"."""
    xa, xb = min(x_in, x_out), max(x_in, x_out)
    if style == "rolled":
        r = (xb - xa) / 2 * rng.uniform(0.9, 1.3)
        return [block(xa, xb, y0, top - r * 0.7, z0, z1, "frame"),
                cylinder([(xa + xb) / 2, top - r, (z0 + z1) / 2], r, (z1 - z0) / 2 + 0.005, axis=(0, 0, 1), part="frame", sides=10)]
    if style == "slope":  # lower at the front
        pts = [[x, y, z] for x in (xa, xb) for y, z in ((y0, z0), (y0, z1), (top, z0), (top - (top - y0) * rng.uniform(0.2, 0.5), z1))]
        return [Convex(pts, "frame")]
    if style == "wedge":  # wider at the top
        flare = (xb - xa) * rng.uniform(0.2, 0.6) * np.sign(x_out - x_in)
        pts = [[x, y, z] for z in (z0, z1) for x, y in ((x_in, y0), (x_out, y0), (x_in, top), (x_out + flare, top))]
        return [Convex(pts, "frame")]
    return [slab(rounded_rect(xb - xa, z1 - z0, rng.uniform(0.0, (xb - xa) / 2)) + [(xa + xb) / 2, (z0 + z1) / 2], y0, top, "frame")]


def support(rng, w, d, lh, base, style, x0=None):
    """What the sofa body (bottom at lh) stands on: "legs" (four or more), "bun", "plinth", "sled"."""
    x0 = -w / 2 if x0 is None else x0
    if style == "plinth" or lh < 0.02:
        return []
    if style == "sled":
        t = 0.025
        parts = []
        for sx in (x0 + 0.08, x0 + w - 0.08):
            parts += [bar([sx, lh + 0.01, -d / 2 + 0.1], [sx, t / 2, -d / 2 + 0.1], t), bar([sx, t / 2, -d / 2 + 0.1], [sx, t / 2, d / 2 - 0.1], t),
                      bar([sx, t / 2, d / 2 - 0.1], [sx, lh + 0.01, d / 2 - 0.1], t)]
        return parts
    n = 2 if w < 2.2 else 3
    xs = np.linspace(x0 + 0.06, x0 + w - 0.06, n)
    parts = []
    if style == "bun":
        r = rng.uniform(0.03, 0.06)
        return [cylinder([x, lh / 2 + 0.003, sz * (d / 2 - 0.07)], r, lh / 2 + 0.003, sides=8) for x in xs for sz in (-1, 1)]
    t = rng.uniform(0.02, 0.05)
    splay = rng.uniform(0.0, 0.05)
    for x in xs:
        for sz in (-1, 1):
            z = sz * (d / 2 - 0.07)
            parts.append(bar([x + np.sign(x) * splay * (abs(x) > 0.1), 0, z + sz * splay], [x, lh + 0.01, z], t * rng.uniform(0.6, 1.0), thickness_b=t,
                             round_=rng.random() < 0.5))
    return parts


def body(rng, w, d, h, lh, hb, bt, tilt, aw, ah, astyle, arms=(-1, 1), n=None, back_cushions=None, x0=None, back=True):
    """One straight run: the base block, seat cushions, a back (possibly reclined) and arms, its left edge at x0."""
    x0 = -w / 2 if x0 is None else x0
    cush = rng.uniform(0.08, 0.2)
    y_base = h - cush
    la = aw if -1 in arms else 0.0
    ra = aw if 1 in arms else 0.0
    parts = [block(x0, x0 + w, lh, y_base + 0.002, -d / 2, d / 2, "frame")]
    n = n or max(1, int(round((w - la - ra) / rng.uniform(0.5, 0.8))))
    zb = -d / 2 + bt if back else -d / 2
    parts += cushions(rng, x0 + la, x0 + w - ra, zb, d / 2 + rng.uniform(-0.02, 0.03), y_base, cush, n, rng.random() < 0.5)
    if back:
        up = np.array([0, np.cos(tilt), -np.sin(tilt)])
        c = np.array([x0 + w / 2, y_base, -d / 2 + bt / 2]) + up * (hb - y_base) / 2
        parts.append(box(c, [w / 2, (hb - y_base) / 2 + 0.01, bt / 2], rot_x(-tilt), "frame"))
        if back_cushions if back_cushions is not None else rng.random() < 0.55:
            ch = (hb - y_base) * rng.uniform(0.6, 0.95)
            ct = rng.uniform(0.1, 0.2)
            for k in range(n):
                cw = (w - la - ra) / n
                xc = x0 + la + cw * (k + 0.5)
                pos = np.array([xc, y_base + cush, -d / 2 + bt]) + up * ch / 2 + np.array([0, 0, ct / 2]) * np.cos(tilt)
                if rng.random() < 0.5:
                    parts.append(box(pos, [cw / 2 - 0.01, ch / 2, ct / 2], rot_x(-tilt), "cushion"))
                else:
                    parts.append(blob(pos, [cw / 2, ch / 2, ct / 2 + 0.02], rng, part="cushion"))
    for side in arms:
        x_out = x0 if side < 0 else x0 + w
        x_in = x_out - side * aw
        top = ah if side < 0 or rng.random() < 0.6 else max(h, ah + rng.uniform(-0.2, 0.2))  # some sofas differ side to side
        parts += arm(rng, x_in, x_out, -d / 2, d / 2 + rng.uniform(-0.03, 0.02), lh, top, astyle)
    return parts


def _params(rng, w=(1.6, 2.4), d=(0.75, 1.3), h=(0.3, 0.55)):
    """Shared proportions: length, depth, seat height, leg height, back top, back thickness, tilt, arm width and top."""
    w, d, h = rng.uniform(*w), rng.uniform(*d), rng.uniform(*h)
    lh = rng.uniform(0.0, min(0.3, h - 0.15)) if rng.random() < 0.75 else 0.0
    hb = h + rng.uniform(0.15, 0.75)
    bt = rng.uniform(0.1, 0.35)
    tilt = rng.uniform(0.0, 0.4)
    aw = rng.uniform(0.06, 0.35)
    ah = h + rng.uniform(0.0, 0.45) if rng.random() < 0.85 else hb + rng.uniform(0.0, 0.1)
    return w, d, h, lh, hb, bt, tilt, aw, ah


def _support_style(rng, lh):
    return "plinth" if lh < 0.02 else rng.choice(["legs", "bun", "sled"], p=[0.7, 0.2, 0.1])


def _astyle(rng):
    return rng.choice(["box", "rolled", "slope", "wedge"], p=[0.5, 0.2, 0.15, 0.15])


# ---------------------------------------------------------------------------------------------------
# Families.
# ---------------------------------------------------------------------------------------------------
def standard(rng, w=(1.6, 2.5)):
    w, d, h, lh, hb, bt, tilt, aw, ah = _params(rng, w=w)
    arms = [(-1, 1), (-1,), (1,), ()][rng.choice(4, p=[0.75, 0.07, 0.08, 0.1])]
    parts = body(rng, w, d, h, lh, hb, bt, tilt, aw, ah, _astyle(rng), arms=arms)
    return parts + support(rng, w, d, lh, parts[:1], _support_style(rng, lh))


def loveseat(rng):
    return standard(rng, w=(1.1, 1.6))


def l_sectional(rng, both=False):
    """A straight run and a return towards the front at one or both ends (a corner sofa or a chaise end)."""
    w, d, h, lh, hb, bt, tilt, aw, ah = _params(rng, w=(1.8, 3.2))
    astyle = _astyle(rng)
    sides = (-1, 1) if both else (int(rng.choice([-1, 1])),)
    corner = rng.random() < 0.6  # a back along the return too (a corner sofa), else an open chaise end
    ext = rng.uniform(0.5, 1.8)
    arms = tuple(s for s in (-1, 1) if s not in sides or not corner)
    parts = body(rng, w, d, h, lh, hb, bt, tilt * 0.3, aw, ah, astyle, arms=arms if rng.random() < 0.85 else ())
    for side in sides:
        rd = d if corner else d * rng.uniform(0.8, 1.0)
        x_out = side * w / 2
        # the return: a run along z, built along x then turned
        ret = body(rng, ext + (d if corner else 0.0), rd, h, lh, hb, bt, tilt * 0.3, aw, ah, astyle, arms=(1,) if rng.random() < 0.7 else (),
                   back=corner, back_cushions=False, n=int(rng.integers(1, 3)))
        ret = moved(ret, rot_y(side * np.pi / 2))  # its back now faces outwards along x
        verts = np.concatenate([p.verts for p in ret])
        shift = [x_out - (verts[:, 0].max() if side > 0 else verts[:, 0].min()), 0, -d / 2 - verts[:, 2].min()]
        parts += moved(ret, shift=shift)
    verts = np.concatenate([p.verts for p in parts])
    lo, hi = verts.min(0), verts.max(0)
    parts += support(rng, hi[0] - lo[0], d, lh, parts[:1], _support_style(rng, lh))
    return parts


def u_sectional(rng):
    return l_sectional(rng, both=True)


def chaise(rng):
    """A chaise longue: a long seat, a raised and curved end at one side, a back along part of the length."""
    w, d, h = rng.uniform(1.5, 2.0), rng.uniform(0.6, 0.85), rng.uniform(0.35, 0.45)
    lh = rng.uniform(0.05, 0.25)
    side = rng.choice([-1, 1])
    parts = [block(-w / 2, w / 2, lh, h, -d / 2, d / 2, "cushion")]
    end_h = h + rng.uniform(0.25, 0.5)
    ew = rng.uniform(0.1, 0.25)
    x_out = side * w / 2
    pts = [[x, y, z] for z in (-d / 2, d / 2) for x, y in ((x_out, lh), (x_out - side * ew, lh), (x_out - side * ew, h),
                                                          (x_out + side * rng.uniform(0.0, 0.15), end_h), (x_out - side * ew * 1.5, end_h - 0.05))]
    parts.append(Convex(pts, "frame"))
    if rng.random() < 0.7:
        bl = w * rng.uniform(0.3, 0.7)
        bh = rng.uniform(0.2, 0.45)
        xa = x_out - side * bl
        pts = [[x, y, z] for z in (-d / 2, -d / 2 + rng.uniform(0.06, 0.15)) for x, y in ((x_out, h - 0.01), (xa, h - 0.01), (x_out, h + bh),
                                                                                        (xa, h + bh * rng.uniform(0.0, 0.4)))]
        parts.append(Convex(pts, "frame"))
    if rng.random() < 0.5:  # a bolster
        parts.append(cylinder([x_out - side * (ew + 0.1), h + 0.08, 0], 0.08, d / 2 * 0.9, axis=(0, 0, 1), part="cushion", sides=10))
    legs = four_legs(rng, w - 0.1, d - 0.1, parts[:1], t=rng.uniform(0.03, 0.05), splay=rng.uniform(0, 0.05))[0]
    return parts + legs


def futon(rng):
    """A thick mattress folded into a seat and a back on a wooden or metal frame with slatted arms."""
    w, d, h = rng.uniform(1.4, 2.0), rng.uniform(0.7, 0.95), rng.uniform(0.3, 0.45)
    mt = rng.uniform(0.1, 0.2)
    ft = rng.uniform(0.03, 0.06)
    tilt = rng.uniform(0.2, 0.5)
    bl = rng.uniform(0.5, 0.8)
    parts = [block(-w / 2, w / 2, h - mt, h, -d / 2 + mt, d / 2, "cushion")]
    up = np.array([0, np.cos(tilt), -np.sin(tilt)])
    c = np.array([0, h - mt, -d / 2 + mt / 2]) + up * bl / 2
    parts.append(box(c, [w / 2, bl / 2, mt / 2], rot_x(-tilt), "cushion"))
    parts.append(block(-w / 2, w / 2, h - mt - ft, h - mt + 0.003, -d / 2, d / 2, "frame"))  # the deck
    for sx in (-1, 1):
        x = sx * (w / 2 + ft / 2)
        top = h + rng.uniform(0.1, 0.3)
        for z in (-d / 2 + ft, d / 2 - ft):
            parts.append(bar([x, 0, z], [x, top, z], ft * 1.2))
        parts.append(block(x - ft / 2, x + ft / 2, top - 0.05, top, -d / 2, d / 2, "frame"))
        if rng.random() < 0.6:
            for y in np.linspace(h - mt - ft, top - 0.05, int(rng.integers(2, 5)))[:-1]:
                parts.append(block(x - ft / 4, x + ft / 4, y, y + 0.04, -d / 2, d / 2, "frame"))
        else:
            parts.append(block(x - ft / 2, x + ft / 2, h - mt - ft, h - mt, -d / 2, d / 2, "frame"))
    return parts


def modern(rng):
    """Low and deep, a low back, thin or no arms, on tall thin legs."""
    w, d, h = rng.uniform(1.6, 2.6), rng.uniform(0.85, 1.1), rng.uniform(0.3, 0.4)
    lh = rng.uniform(0.1, 0.22)
    hb = h + rng.uniform(0.15, 0.35)
    aw = rng.uniform(0.03, 0.1)
    ah = h + rng.uniform(0.0, 0.2)
    arms = (-1, 1) if rng.random() < 0.7 else ()
    parts = body(rng, w, d, h, lh, hb, rng.uniform(0.08, 0.2), rng.uniform(0.0, 0.15), aw, ah, "box", arms=arms)
    return parts + support(rng, w, d, lh, parts[:1], "legs")


def chesterfield(rng):
    """Arms as high as the back, rolled, on bun feet or a plinth; tight seat."""
    w, d, h, lh, hb, bt, tilt, aw, ah = _params(rng, w=(1.4, 2.4))
    hb = h + rng.uniform(0.25, 0.4)
    parts = body(rng, w, d, h, min(lh, 0.08), hb, bt, 0.0, rng.uniform(0.15, 0.3), hb, "rolled", back_cushions=False)
    return parts + support(rng, w, d, min(lh, 0.08), parts[:1], "bun" if lh > 0.02 else "plinth")


def daybed(rng):
    """No arms, or a back running round three sides at one height; bolsters at the ends."""
    w, d, h = rng.uniform(1.7, 2.2), rng.uniform(0.75, 1.0), rng.uniform(0.35, 0.48)
    lh = rng.uniform(0.0, 0.25)
    if rng.random() < 0.5:
        hb = h + rng.uniform(0.2, 0.45)
        parts = body(rng, w, d, h, lh, hb, rng.uniform(0.05, 0.15), 0.0, rng.uniform(0.04, 0.12), hb, "box", back_cushions=rng.random() < 0.7)
    else:
        parts = body(rng, w, d, h, lh, h + rng.uniform(0.25, 0.5), rng.uniform(0.12, 0.25), rng.uniform(0.0, 0.3), 0.1, h, "box", arms=())
        if rng.random() < 0.6:
            for sx in (-1, 1):
                parts.append(cylinder([sx * (w / 2 - 0.12), h + 0.1, 0.05], 0.1, d / 2 * 0.75, axis=(0, 0, 1), part="cushion", sides=10))
    return parts + support(rng, w, d, lh, parts[:1], _support_style(rng, lh))


def curved(rng):
    """A run of seat sections on an arc, the back on the outside of the curve."""
    n = int(rng.integers(3, 7))
    sw, d, h = rng.uniform(0.5, 0.8), rng.uniform(0.75, 1.0), rng.uniform(0.38, 0.45)
    radius = rng.uniform(1.2, 3.0)
    step = sw / radius
    lh = rng.uniform(0.0, 0.15)
    hb = h + rng.uniform(0.25, 0.5)
    parts = []
    for k in range(n):
        a = (k - (n - 1) / 2) * step
        arms = ((-1,) if k == 0 else ()) + ((1,) if k == n - 1 else ())
        seg = body(rng, sw * (1 + d / radius), d, h, lh, hb, rng.uniform(0.12, 0.25), 0.1, 0.15, h + 0.15, "box", arms=arms if rng.random() < 0.8 else (), n=1,
                   back_cushions=False)
        seg = moved(seg, shift=[0, 0, -radius])  # the back on the outside of the curve
        parts += moved(seg, rot_y(a))
    return parts


def modular(rng):
    """Armless blocks pushed together, back cushions on some, sometimes an ottoman in front."""
    n = int(rng.integers(2, 5))
    sw, d, h = rng.uniform(0.7, 1.0), rng.uniform(0.8, 1.05), rng.uniform(0.3, 0.42)
    parts = []
    for k in range(n):
        x = -n * sw / 2 + k * sw
        parts.append(block(x, x + sw + 0.002, 0, h, -d / 2, d / 2, "cushion"))
        if rng.random() < 0.8:
            parts.append(block(x, x + sw + 0.002, h - 0.01, h + rng.uniform(0.2, 0.4), -d / 2, -d / 2 + rng.uniform(0.15, 0.3), "frame"))
    if rng.random() < 0.4:
        parts.append(block(-sw / 2, sw / 2, 0, h, d / 2 - 0.005, d / 2 + sw, "cushion"))
    return parts


BUILDERS = {"standard": standard, "loveseat": loveseat, "l_sectional": l_sectional, "u_sectional": u_sectional,
            "chaise": chaise, "futon": futon, "modern": modern, "chesterfield": chesterfield, "daybed": daybed,
            "curved": curved, "modular": modular}
assert tuple(BUILDERS) == FAMILIES


def _colours(rng):
    """Fabric or leather body and cushions, legs in wood or metal."""
    material = rng.choice(["fabric", "leather", "velvet"], p=[0.6, 0.25, 0.15])
    body_c = hsv(rng.uniform(0, 1), rng.uniform(0.05, 0.7), rng.uniform(0.2, 0.9))
    if material == "leather":
        body_c = hsv(rng.uniform(0.02, 0.1), rng.uniform(0.3, 0.8), rng.uniform(0.15, 0.6)) if rng.random() < 0.7 else body_c
    cushion = body_c if rng.random() < 0.75 else hsv(rng.uniform(0, 1), rng.uniform(0.05, 0.6), rng.uniform(0.3, 0.95))
    legs = hsv(rng.uniform(0.05, 0.1), rng.uniform(0.4, 0.8), rng.uniform(0.2, 0.6)) if rng.random() < 0.6 else (0.2, 0.2, 0.2)
    colours = {"frame": body_c, "cushion": cushion, "legs": legs}
    shininess = {"fabric": 2.0, "leather": 30.0, "velvet": 8.0}[material] * rng.uniform(0.7, 1.3)
    specular = {"fabric": 0.03, "leather": 0.3, "velvet": 0.1}[material]
    return colours, (float(shininess), float(specular))


def make(seed, index):
    """(family, parts, colours per part, material) of sofa `index`, a pure function of (seed, index).

    Each axis is stretched independently after the family builds it (up to 2.0 along x, 1.65 in height, 1.8 in depth), so no two sofas share
    their proportions. Thin bars (legs, feet, futon frames) are coloured as legs."""
    rng = np.random.default_rng([seed, index, SYNSET])
    family = FAMILIES[rng.choice(len(FAMILIES), p=FAMILY_WEIGHTS)]
    parts = BUILDERS[family](rng)
    parts = [Convex(p.verts, "legs") if p.part == "frame" and p.verts[:, 1].max() < 0.3 and np.ptp(p.verts[:, 0]) < 0.12 else p for p in parts]
    stretch = np.diag(np.exp(rng.uniform(-1, 1, 3) * [0.7, 0.5, 0.6]))
    parts = [p.transformed(stretch) for p in parts]
    floor = min(p.verts[:, 1].min() for p in parts)  # stand on y = 0 (splayed legs reach a little below)
    parts = [Convex(p.verts - [0, floor, 0], p.part) for p in parts]
    colours, material = _colours(rng)
    return family, parts, colours, material
