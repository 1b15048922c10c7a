"""Procedural loudspeakers (ShapeNet synset 03691459): the families, their parts and proportions (geometry only, numpy).

A loudspeaker is a list of closed convex parts (synthetic/primitives.py) in raw units (about metres), +y
up, the drivers facing +z, standing on y = 0. Most loudspeakers are boxes, so a one-view reconstruction
has to get what sets one box from another: its proportions (a tall tower, a cube, a long flat sound bar,
a small satellite), its section (square, rounded, curved back, a wedge wider at the front, a round
column or a ball), what it stands on (spikes, a plinth, a pole stand, a tripod, nothing) and what stands
out of its front (drivers as raised rings and cones in one to five sizes and layouts, a grille cloth,
a horn). The families differ in silhouette and proportion; every parameter within a family ranges widely.

The eleven families: bookshelf boxes (sometimes on a pole stand), floor-standing towers (square,
rounded or curved-back sections, on a plinth or spikes), subwoofer cubes (front- or down-firing, on
feet), portable cylinders lying on their side, smart speakers (upright cylinders, eggs, balls), studio
monitors (rounded front edges, a large woofer and a waveguide, sometimes tilted back), satellites (small
boxes or balls on a short stand), sound bars, PA wedges (wider at the front, on a tripod or on the
floor), boomboxes (two big drivers, a handle) and horn speakers. Every axis is stretched independently
afterwards. `make(seed, index)` is a pure function.
"""
import numpy as np

from synthetic.lamps import lathe, shell, sphere
from synthetic.primitives import Convex, bar, box, cylinder, hsv, ring, rot_x, rounded_rect, slab, tube

SYNSET = 3691459
FAMILIES = ("bookshelf", "tower", "subwoofer", "portable", "smart", "studio", "satellite", "soundbar", "pa",
            "boombox", "horn")
FAMILY_WEIGHTS = np.array([16, 12, 9, 9, 10, 8, 8, 4, 7, 6, 5], float)
FAMILY_WEIGHTS /= FAMILY_WEIGHTS.sum()


def driver(centre, r, rng, normal=(0, 0, 1), cone=None, sides=14):
    """A driver standing out of a front face at `centre` (on the face): a surround ring, a cone or a dome
    cap (a tweeter), raised by a share of its radius."""
    c, n = np.asarray(centre, float), np.asarray(normal, float) / np.linalg.norm(normal)
    d1 = r * rng.uniform(0.04, 0.12)
    parts = [Convex(np.concatenate([ring(c - n * 0.003, n, r, sides), ring(c + n * d1, n, r, sides)]), "driver")]
    cone = rng.random() < 0.8 if cone is None else cone
    if cone:
        h = r * rng.uniform(0.1, 0.35)
        parts.append(Convex(np.concatenate([ring(c + n * (d1 - 0.001), n, r * 0.82, sides),
                                            ring(c + n * (d1 + h), n, r * rng.uniform(0.2, 0.4), sides)]),
                            "cone"))
    else:
        parts += lathe([[0, r * 0.7], [r * 0.25, r * 0.55], [r * 0.45, r * 0.2]], "cone", c + n * (d1 - 0.001), n, sides)
    return parts


def front_drivers(rng, w, h, z, y0=0.0, x0=0.0, n=None, layout=None, big=None):
    """One to five drivers on a front face of width w and height h centred at (x0, y0 + h/2, z): a column,
    a woofer under a tweeter, side by side, or a mid-tweeter-mid stack."""
    n = int(rng.integers(1, 6)) if n is None else n
    layout = rng.choice(["column", "pair", "row"], p=[0.6, 0.25, 0.15]) if layout is None else layout
    big = rng.uniform(0.3, 0.46) * w if big is None else big
    parts = []
    if layout == "row":
        xs = (np.arange(n) - (n - 1) / 2) * w / n
        r = min(big, w / n * 0.45, h * 0.42)
        for x in xs:
            parts += driver([x0 + x, y0 + h / 2, z], r, rng)
        return parts
    if layout == "pair" or n == 1:
        sizes = [big] if n == 1 else [big, big * rng.uniform(0.25, 0.45)]
    else:
        woofers = [big * rng.uniform(0.7, 1.0) for _ in range(n - 1)]
        k = (n - 1) // 2 if rng.random() < 0.3 else 0  # the tweeter at the top or between the woofers
        sizes = woofers[:k] + [big * rng.uniform(0.22, 0.4)] + woofers[k:]  # top first
    gaps = h - 2 * sum(sizes)
    if gaps < 0:
        k = h / (2 * sum(sizes)) * 0.9
        sizes = [s * k for s in sizes]
        gaps = h - 2 * sum(sizes)
    gap = gaps / (len(sizes) + 1)
    if layout != "pair" and n > 1:
        ys, y = [], y0 + h - gap
        for s in sizes:
            ys.append(y - s)
            y -= 2 * s + gap
    else:  # woofer below the tweeter, top-aligned as most two-ways are
        ys = [y0 + h * rng.uniform(0.3, 0.45)] + ([y0 + h * rng.uniform(0.72, 0.85)] if n > 1 else [])
        if n > 1:
            ys[0] = min(ys[0], ys[1] - sizes[0] - sizes[1] * 1.05)
    for s, y in zip(sizes, ys):
        parts += driver([x0, y, z], s, rng, cone=None if s > 0.5 * big else False)
    return parts


def cabinet(rng, w, h, d, y0=0.0, section=None, part="body", taper=None):
    """A box of w x h x d from y0 up: square, rounded, bowed front, curved back (a lute) or tapering towards the
    back, and often narrowing towards its top (`taper`, the top's scale)."""
    section = rng.choice(["square", "rounded", "lute", "taper", "bowed"], p=[0.4, 0.2, 0.15, 0.15, 0.1]) if section is None else section
    taper = 1.0 if taper is None else taper
    if section == "square":
        outline = np.array([[-w / 2, -d / 2], [w / 2, -d / 2], [w / 2, d / 2], [-w / 2, d / 2]])
    elif section == "rounded":
        outline = rounded_rect(w, d, rng.uniform(0.05, 0.4) * min(w, d), 4)
    elif section == "lute":  # the back curving in to a narrow spine
        a = np.linspace(0, np.pi, 9)
        back = np.stack([w / 2 * np.cos(a), d / 2 - d * np.sin(a) ** rng.uniform(0.5, 1.0)], 1)
        outline = np.concatenate([[[w / 2, d / 2]], back[1:-1], [[-w / 2, d / 2]]])
    elif section == "bowed":  # the front bowed out
        a = np.linspace(0, np.pi, 9)
        bow = rng.uniform(0.1, 0.3) * d
        outline = np.concatenate([np.stack([w / 2 * np.cos(a), d / 2 - bow + bow * np.sin(a)], 1), [[-w / 2, -d / 2], [w / 2, -d / 2]]])
    else:
        k = rng.uniform(0.4, 0.8)
        outline = np.array([[-w / 2, d / 2], [w / 2, d / 2], [w / 2 * k, -d / 2], [-w / 2 * k, -d / 2]])
    return [_tapered(outline, y0, h, taper, part)]


def _tapered(outline, y0, h, taper, part):
    """The prism of the convex outline (K, 2) of (x, z) points from y0 to y0 + h, its top scaled by `taper`
    about the front edge's middle (the front stays flat, so drivers sit on it)."""
    outline = np.asarray(outline, float)
    zf = outline[:, 1].max()
    top = np.c_[outline[:, 0] * taper, zf + (outline[:, 1] - zf) * taper]
    return Convex(np.concatenate([np.c_[outline[:, 0], np.full(len(outline), y0), outline[:, 1]],
                                  np.c_[top[:, 0], np.full(len(outline), y0 + h), top[:, 1]]]), part)


def feet(rng, w, d, kind=None):
    """What a box stands on: spikes, pucks, a plinth, or nothing. Returns (parts, height of the box's bottom)."""
    kind = rng.choice(["none", "spikes", "pucks", "plinth"], p=[0.4, 0.2, 0.2, 0.2]) if kind is None else kind
    if kind == "none":
        return [], 0.0
    if kind == "plinth":
        t = rng.uniform(0.02, 0.06)
        m = rng.uniform(1.0, 1.3)
        return [box([0, t / 2, 0], [w / 2 * m, t / 2, d / 2 * m], part="stand")], t - 0.002
    hgt = rng.uniform(0.01, 0.05)
    parts = []
    for sx in (-1, 1):
        for sz in (-1, 1):
            p = [sx * (w / 2 - 0.03), 0, sz * (d / 2 - 0.03)]
            if kind == "spikes":  # a cone standing on its tip
                parts.append(Convex(np.concatenate([ring([p[0], 0, p[2]], [0, 1, 0], 0.005, 6),
                                                    ring([p[0], hgt + 0.003, p[2]], [0, 1, 0], 0.02, 6)]), "stand"))
            else:
                parts.append(cylinder([p[0], hgt / 2 + 0.0015, p[2]], 0.025, hgt / 2 + 0.0015, part="stand", sides=8))
    return parts, hgt


def boxed(rng, w, h, d, lift=None, feet_kind=None, section=None, n=None, layout=None, big=None, grille=None, taper=None):
    """A cabinet on feet with drivers (or a grille cloth over them) on its front."""
    fparts, y0 = feet(rng, w, d, feet_kind)
    y0 = y0 if lift is None else lift
    taper = (rng.uniform(0.55, 0.95) if rng.random() < 0.35 else 1.0) if taper is None else taper
    parts = fparts + cabinet(rng, w, h, d, y0, section, taper=taper)
    w *= (1 + taper) / 2  # the drivers fit the front's width halfway up
    grille = rng.random() < 0.25 if grille is None else grille
    if grille:
        parts.append(box([0, y0 + h / 2, d / 2 + 0.004], [w / 2 * 0.96, h / 2 * 0.97, 0.006], part="grille"))
    else:
        parts += front_drivers(rng, w, h, d / 2, y0, n=n, layout=layout, big=big)
        if rng.random() < 0.3:  # a bass port below the drivers
            parts.append(cylinder([0, y0 + h * 0.08, d / 2], min(w, h) * 0.06, 0.006, axis=(0, 0, 1), part="driver", sides=10))
    return parts


# ---------------------------------------------------------------------------------------------------
# Families.
# ---------------------------------------------------------------------------------------------------
def bookshelf(rng):
    """A two-way box, sometimes on a pole stand."""
    w = rng.uniform(0.15, 0.3)
    h = w * rng.uniform(1.2, 2.0)
    d = w * rng.uniform(0.8, 1.6)
    if rng.random() < 0.4:  # on a stand: a base plate, one or two poles, a top plate
        H = rng.uniform(0.3, 0.9)
        parts = [box([0, 0.01, 0], [w * 0.7, 0.01, d * 0.6], part="stand"), box([0, H - 0.01, 0], [w * 0.45, 0.01, d * 0.45], part="stand")]
        for x in ((0.0,) if rng.random() < 0.5 else (-w * 0.25, w * 0.25)):
            parts.append(bar([x, 0.0, 0], [x, H, 0], rng.uniform(0.03, 0.07), "stand"))
        return parts + boxed(rng, w, h, d, lift=H - 0.002, n=2, layout="pair", section=rng.choice(["square", "rounded", "lute"]))
    return boxed(rng, w, h, d, n=int(rng.choice([1, 2, 2, 3])), layout=rng.choice(["pair", "column"]))


def tower(rng):
    """A tall box with a column of drivers, on a plinth, spikes, outriggers or its bottom; sometimes a tweeter
    pod on top or a separate bass module under it."""
    w = rng.uniform(0.16, 0.32)
    h = w * rng.uniform(2.2, 4.8)
    d = w * rng.uniform(0.9, 2.0)
    style = rng.choice(["plain", "outriggers", "pod", "two_piece"], p=[0.45, 0.2, 0.2, 0.15])
    if style == "two_piece":  # a bass module, posts, the upper box
        bh = h * rng.uniform(0.25, 0.45)
        gap = h * rng.uniform(0.05, 0.2)
        parts = boxed(rng, w * rng.uniform(1.0, 1.4), bh, d, feet_kind="none", n=1, big=w * 0.4)
        for sx in (-1, 1):
            parts.append(bar([sx * w * 0.3, bh - 0.01, 0], [sx * w * 0.3, bh + gap + 0.01, 0], 0.02, "stand", round_=True))
        return parts + boxed(rng, w, h - bh - gap, d, lift=bh + gap, n=int(rng.integers(2, 4)), layout="column", big=w * 0.38, taper=1.0)
    parts = boxed(rng, w, h, d, feet_kind="none" if style == "outriggers" else rng.choice(["none", "spikes", "plinth", "pucks"]),
                  n=int(rng.integers(2, 6)), layout="column", big=w * rng.uniform(0.25, 0.42),
                  taper=1.0 if style == "pod" else (rng.uniform(0.4, 0.95) if rng.random() < 0.5 else 1.0))
    if style == "outriggers":  # bars sticking out sideways at the foot
        y = rng.uniform(0.01, 0.03)
        parts = [Convex(p.verts + [0, y, 0], p.part) for p in parts]
        span = w * rng.uniform(0.7, 1.1)
        for z in (-d * 0.35, d * 0.35):
            parts.append(box([0, y / 2 + 0.005, z], [span, y / 2 + 0.006, 0.015], part="stand"))
    elif style == "pod":  # a tweeter head on top
        top = max(p.verts[:, 1].max() for p in parts)
        r = w * rng.uniform(0.4, 0.8)
        if rng.random() < 0.5:
            parts += sphere([0, top + r * 0.6, 0], r, "body", sides=12, rows=6)
            parts += driver([0, top + r * 0.6, r * 0.95], r * 0.4, rng, cone=False)
        else:
            parts += boxed(rng, r * 2, r * 1.4, r * 2, lift=top - 0.005, feet_kind="none", n=1, big=r * 0.5)
    return parts


def subwoofer(rng):
    """A near-cube with one big driver at the front or firing down, on feet."""
    w = rng.uniform(0.25, 0.5)
    h = w * rng.uniform(0.7, 1.6)
    d = w * rng.uniform(0.7, 1.4)
    if rng.random() < 0.3:  # down-firing: tall feet, the driver underneath
        fh = rng.uniform(0.03, 0.08)
        parts = cabinet(rng, w, h, d, fh, rng.choice(["square", "rounded"]))
        for sx in (-1, 1):
            for sz in (-1, 1):
                parts.append(cylinder([sx * w * 0.3, fh / 2, sz * d * 0.3], w * 0.06, fh / 2 + 0.003, part="stand", sides=8))
        parts += driver([0, fh, 0], min(w, d) * 0.38, rng, normal=(0, -1, 0))
        return parts
    if rng.random() < 0.25:  # a round (cylindrical) sub
        r = w / 2
        parts = [cylinder([0, h / 2, 0], r, h / 2, part="body", sides=18)]
        parts += driver([0, h * 0.5, r * np.cos(np.pi / 18)], r * rng.uniform(0.25, 0.4), rng)
        return parts
    return boxed(rng, w, h, d, feet_kind=rng.choice(["none", "pucks", "spikes"]), n=1, big=min(w, h) * rng.uniform(0.35, 0.46),
                 grille=rng.random() < 0.2)


def portable(rng):
    """A cylinder lying on its side or standing on its end (a Bluetooth speaker), end caps, drivers on its front,
    sometimes a strap; or a rounded block with a handle."""
    if rng.random() < 0.3:
        w = rng.uniform(0.15, 0.4)
        h, d = w * rng.uniform(0.4, 1.0), w * rng.uniform(0.2, 0.5)
        parts = [_tapered(rounded_rect(w, d, d * rng.uniform(0.2, 0.5), 4), 0.0, h, rng.uniform(0.8, 1.0), "body")]
        parts += front_drivers(rng, w * 0.9, h, d / 2, 0.0, n=int(rng.choice([1, 2])), layout="row", big=h * 0.4)
        if rng.random() < 0.6:
            parts.append(bar([-w * 0.3, h - 0.01, 0], [-w * 0.3, h + h * 0.25, 0], 0.02, "stand"))
            parts.append(bar([w * 0.3, h - 0.01, 0], [w * 0.3, h + h * 0.25, 0], 0.02, "stand"))
            parts.append(bar([-w * 0.3, h + h * 0.25, 0], [w * 0.3, h + h * 0.25, 0], 0.03, "stand"))
        return parts
    L = rng.uniform(0.15, 0.35)
    r = L * rng.uniform(0.15, 0.4)
    sides = 14
    squash = rng.uniform(0.7, 1.0)
    parts = [c.transformed(np.diag([1, squash, 1])) for c in [cylinder([0, r, 0], r, L / 2, axis=(1, 0, 0), part="body", sides=sides)]]
    cap = rng.uniform(0.005, 0.03)
    for sx in (-1, 1):
        parts.append(cylinder([sx * (L / 2 + cap / 2 - 0.002), r * squash, 0], r * rng.uniform(0.85, 1.05) * squash, cap / 2 + 0.002,
                              axis=(1, 0, 0), part="cone", sides=sides))
    n = int(rng.choice([1, 2, 3]))
    zf = r * np.cos(np.pi / sides)
    for x in (np.arange(n) - (n - 1) / 2) * L / n:
        parts += driver([x, r * squash, zf - 0.003], min(r * 0.7, L / n * 0.4), rng)
    if rng.random() < 0.35:  # a handle or strap over the top
        a = np.linspace(0, np.pi, 7)
        parts += tube(np.stack([L * 0.35 * np.cos(a), 2 * r * squash - 0.005 + r * 0.6 * np.sin(a), np.zeros(7)], 1), r * 0.15, "stand")
    if rng.random() < 0.35:  # standing on its end
        parts = [p.transformed(np.array([[0, -1.0, 0], [1, 0, 0], [0, 0, 1]])) for p in parts]
    return parts


def smart(rng):
    """An upright column, egg or ball: a smart speaker, with a top disc, a light ring and a fabric body."""
    style = rng.choice(["column", "egg", "ball", "cone"])
    R = rng.uniform(0.05, 0.1)
    if style == "column":
        H = R * rng.uniform(1.0, 5.0)
        k = rng.uniform(0.7, 1.1)
        prof = [[0, R * 0.9], [R * 0.15, R], [H - R * 0.15, R * k], [H, R * k * 0.9]]
        parts = lathe(prof, "body", sides=18)
        parts.append(cylinder([0, H + 0.004, 0], R * k * 0.85, 0.005, part="cone", sides=18))
        return parts
    if style == "cone":
        H = R * rng.uniform(1.5, 3.0)
        parts = lathe([[0, R], [H * 0.5, R * rng.uniform(0.6, 0.9)], [H, R * rng.uniform(0.2, 0.5)]], "body", sides=18)
        return parts
    if style == "egg":
        parts = sphere([0, 0, 0], R, "body", sides=16, rows=8, squash=rng.uniform(1.1, 1.8))
    else:
        parts = sphere([0, 0, 0], R, "body", sides=16, rows=8, squash=rng.uniform(0.75, 1.0))
    low = min(p.verts[:, 1].min() for p in parts)
    parts = [Convex(p.verts - [0, low - R * 0.15, 0], p.part) for p in parts]
    parts.append(cylinder([0, R * 0.1, 0], R * rng.uniform(0.3, 0.7), R * 0.1, part="stand", sides=14))
    if rng.random() < 0.5:
        top = max(p.verts[:, 1].max() for p in parts)
        parts += driver([0, top * 0.55, R * 0.95], R * 0.35, rng)
    return parts


def studio(rng):
    """A monitor box with rounded front edges, a big woofer and a tweeter in a waveguide, often tilted back on
    an isolation pad."""
    w = rng.uniform(0.15, 0.35)
    h = w * rng.uniform(1.2, 1.9)
    d = w * rng.uniform(1.0, 1.5)
    side = rng.random() < 0.2  # lying on its side
    if side:
        w, h = h, w
    bevel = rng.uniform(0.03, 0.2) * w
    body = Convex([[sx * (w / 2 - bevel * (z > 0)), y, z] for sx in (-1, 1) for y in (0, h) for z in (-d / 2, d / 2 - bevel)] +
                  [[sx * w / 2 * 0.99, y, d / 2 - bevel] for sx in (-1, 1) for y in (0.001, h - 0.001)] +
                  [[sx * (w / 2 - bevel), y, d / 2] for sx in (-1, 1) for y in (0, h)], "body")
    parts = [body]
    big = min(w, h) * rng.uniform(0.3, 0.42)
    if side:
        parts += driver([-w * 0.2, h / 2, d / 2], big, rng, cone=True) + driver([w * 0.28, h / 2, d / 2], big * 0.35, rng, cone=False)
    else:
        parts += driver([0, h * 0.35, d / 2], big, rng, cone=True)
        parts += lathe([[0, big * 0.75], [big * 0.15, big * 0.5]], "driver", [0, h * 0.78, d / 2 - 0.002], (0, 0, 1), 14)
        parts += driver([0, h * 0.78, d / 2 + big * 0.1], big * 0.3, rng, cone=False)
    tilt = rng.uniform(0.0, 0.25) if rng.random() < 0.4 else 0.0
    if tilt > 0:
        pad = rng.uniform(0.03, 0.06)
        parts = [Convex(p.verts @ rot_x(-tilt).T + [0, pad + np.sin(tilt) * d / 2, 0], p.part) for p in parts]
        parts.append(Convex([[sx * w / 2, y, z] for sx in (-1, 1) for y, z in
                             ((0, -d / 2), (0, d / 2), (pad + np.sin(tilt) * d, -d / 2 * 0.95), (pad + 0.01, d / 2))], "stand"))
    return parts


def satellite(rng):
    """A small box or ball on a short stand or a wall bracket."""
    s = rng.uniform(0.08, 0.16)
    H = rng.uniform(0.03, 0.25)
    parts = [cylinder([0, 0.006, 0], s * rng.uniform(0.5, 0.9), 0.006, part="stand", sides=14)]
    parts.append(bar([0, 0.0, 0], [0, H + 0.01, 0], rng.uniform(0.01, 0.025), "stand", round_=True))
    if rng.random() < 0.5:
        parts += sphere([0, H, 0], s / 2, "body", sides=14, rows=7, squash=rng.uniform(0.8, 1.3))
        top = max(p.verts[:, 1].max() for p in parts)
        parts += driver([0, (H + top) / 2, s / 2 * 0.9], s * 0.25, rng)
        return parts
    w, h, d = s, s * rng.uniform(1.0, 2.5), s * rng.uniform(0.7, 1.3)
    parts += boxed(rng, w, h, d, lift=H, feet_kind="none", section=rng.choice(["square", "rounded", "lute"]),
                   n=int(rng.choice([1, 2])), layout="column", big=w * 0.4)
    return parts


def soundbar(rng):
    """A long, low bar of small drivers, on the table or raised on feet."""
    w = rng.uniform(0.6, 1.2)
    h = w * rng.uniform(0.05, 0.25)
    d = w * rng.uniform(0.07, 0.3)
    return boxed(rng, w, h, d, feet_kind=rng.choice(["none", "pucks"]), section=rng.choice(["square", "rounded", "bowed", "taper"]),
                 n=int(rng.integers(2, 6)), layout="row", big=h * 0.42, taper=rng.uniform(0.5, 1.0))


def pa(rng):
    """A trapezoid cabinet wider at the front, with a woofer and a horn, a handle; on a tripod or the floor."""
    w = rng.uniform(0.3, 0.55)
    h = w * rng.uniform(1.3, 1.9)
    d = w * rng.uniform(0.8, 1.2)
    k = rng.uniform(0.55, 0.85)
    lift = 0.0
    parts = []
    if rng.random() < 0.5:  # on a tripod stand
        lift = rng.uniform(0.8, 1.4)
        for a in 2 * np.pi * np.arange(3) / 3 + np.pi / 2:
            parts.append(bar([np.cos(a) * 0.45, 0, np.sin(a) * 0.45], [0, lift * 0.35, 0], 0.03, "stand", round_=True))
        parts.append(bar([0, lift * 0.3, 0], [0, lift + 0.05, 0], 0.04, "stand", round_=True))
    parts.append(slab([[-w / 2, d / 2], [w / 2, d / 2], [w / 2 * k, -d / 2], [-w / 2 * k, -d / 2]], lift, lift + h, "body"))
    big = w * rng.uniform(0.36, 0.45)
    parts += driver([0, lift + h * 0.32, d / 2], big, rng, cone=True)
    hw, hh = w * rng.uniform(0.4, 0.8), h * rng.uniform(0.12, 0.2)  # a horn: a flared rectangle
    parts.append(Convex([[sx * hw / 2 * s, lift + h * 0.78 + sy * hh / 2 * s, d / 2 + z] for sx in (-1, 1) for sy in (-1, 1)
                         for s, z in ((1.0, 0.01), (0.35, -0.002))], "driver"))
    parts.append(bar([-w * 0.15, lift + h + 0.02, 0], [w * 0.15, lift + h + 0.02, 0], 0.025, "stand"))
    parts += [bar([sx * w * 0.15, lift + h - 0.005, 0], [sx * w * 0.15, lift + h + 0.03, 0], 0.02, "stand") for sx in (-1, 1)]
    if lift == 0.0 and rng.random() < 0.5:  # a floor monitor wedge: lay it on its back, tilted up
        tilt = rng.uniform(0.8, 1.2)
        parts = [Convex(p.verts @ rot_x(-tilt).T, p.part) for p in parts]
    return parts


def boombox(rng):
    """A wide box with a big driver at each end, a panel between them, a handle on top."""
    w = rng.uniform(0.35, 0.7)
    h = w * rng.uniform(0.35, 0.65)
    d = w * rng.uniform(0.15, 0.35)
    parts = cabinet(rng, w, h, d, 0.0, rng.choice(["square", "rounded"]))
    r = min(h * 0.4, w * 0.2)
    for sx in (-1, 1):
        parts += driver([sx * (w / 2 - r * 1.25), h * 0.45, d / 2], r, rng, cone=True)
        if rng.random() < 0.5:
            parts += driver([sx * (w / 2 - r * 1.25), h * 0.85, d / 2], r * 0.25, rng, cone=False)
    parts.append(box([0, h * 0.45, d / 2], [w / 2 - 2.6 * r, h * 0.25, 0.006], part="grille"))
    hh = h * rng.uniform(0.15, 0.4)
    a = np.linspace(0, np.pi, 7)
    parts += tube(np.stack([w * 0.38 * np.cos(a), h - 0.01 + hh * np.sin(a) ** 0.5, np.zeros(7)], 1), rng.uniform(0.015, 0.03), "stand")
    return parts


def horn(rng):
    """A horn flaring forward from a driver housing on a base: gramophone-style and horn-loaded speakers."""
    L = rng.uniform(0.3, 0.7)
    R = L * rng.uniform(0.3, 0.7)
    y = rng.uniform(0.2, 0.6)
    prof = np.array([[0, R], [L * 0.25, R * 0.55], [L * 0.6, R * 0.25], [L, R * 0.1]])
    parts = shell(prof, 0.008, "cone", [0, y, L * 0.5], (0, 0, -1), sides=16)
    parts += sphere([0, y - 0.08, -L * 0.5 - 0.02], 0.08, "body", sides=12, rows=6)
    if rng.random() < 0.5:
        parts.append(box([0, (y - 0.08) / 2 + 0.01, -L * 0.5], [0.12, (y - 0.08) / 2 + 0.02, 0.12], part="body"))
    else:
        parts.append(bar([0, 0, -L * 0.5], [0, y, -L * 0.5], 0.03, "stand", round_=True))
        parts.append(cylinder([0, 0.01, -L * 0.5], 0.15, 0.01, part="stand", sides=14))
    return parts


BUILDERS = {"bookshelf": bookshelf, "tower": tower, "subwoofer": subwoofer, "portable": portable, "smart": smart,
            "studio": studio, "satellite": satellite, "soundbar": soundbar, "pa": pa, "boombox": boombox, "horn": horn}
assert tuple(BUILDERS) == FAMILIES


def _colours(rng):
    """Per-part RGB and (shininess, specular): black, white or wood-veneer cabinets, grey or coloured fabric,
    black or metal drivers."""
    kind = rng.choice(["black", "wood", "white", "colour", "silver"], p=[0.4, 0.25, 0.12, 0.13, 0.1])
    body = {"black": (0.06, 0.06, 0.07), "wood": hsv(rng.uniform(0.04, 0.1), rng.uniform(0.5, 0.8), rng.uniform(0.3, 0.7)),
            "white": (0.9, 0.9, 0.88), "colour": hsv(rng.uniform(0, 1), rng.uniform(0.4, 0.9), rng.uniform(0.3, 0.9)),
            "silver": (0.7, 0.71, 0.73)}[kind]
    drv = (0.05, 0.05, 0.05) if rng.random() < 0.7 else (0.6, 0.6, 0.62)
    cone = drv if rng.random() < 0.5 else ((0.75, 0.75, 0.7) if rng.random() < 0.4 else hsv(rng.uniform(0, 1), 0.6, 0.7))
    colours = {"body": body, "driver": drv, "cone": cone,
               "grille": (0.12, 0.12, 0.13) if rng.random() < 0.7 else hsv(rng.uniform(0, 1), 0.2, 0.5),
               "stand": (0.1, 0.1, 0.1) if rng.random() < 0.6 else (0.65, 0.65, 0.67)}
    shininess = {"black": 40.0, "wood": 12.0, "white": 40.0, "colour": 50.0, "silver": 110.0}[kind]
    specular = {"black": 0.4, "wood": 0.15, "white": 0.3, "colour": 0.4, "silver": 0.7}[kind]
    return colours, (float(shininess * rng.uniform(0.7, 1.3)), float(specular))


def make(seed, index):
    """(family, parts, colours per part, material) of loudspeaker `index`, a pure function of (seed, index).

    After its family builds it, the speaker is stretched by an independent factor per axis and often leans
    back (a shear; many towers and monitors are built so, and a box's lean is what a front view shows least)."""
    rng = np.random.default_rng([seed, index, SYNSET])
    family = FAMILIES[rng.choice(len(FAMILIES), p=FAMILY_WEIGHTS)]
    parts = BUILDERS[family](rng)
    stretch = np.diag(np.exp(rng.uniform(-0.5, 0.5, 3)))  # as the chairs: 0.61 to 1.65
    shear = np.eye(3)
    shear[2, 1] = rng.uniform(-0.3, 0.1) if rng.random() < 0.65 else 0.0  # z += k * y: most lean back
    parts = [p.transformed(shear @ stretch) for p in parts]
    low = min(p.verts[:, 1].min() for p in parts)
    parts = [Convex(p.verts - [0, low, 0], p.part) for p in parts]
    colours, material = _colours(rng)
    return family, parts, colours, material
