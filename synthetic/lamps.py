"""Procedural lamps (ShapeNet synset 03636649): the families, their parts and proportions (geometry only, numpy).

A lamp is a list of closed convex parts (synthetic/primitives.py) in raw units (about metres), +y up, front
towards +z, standing on y = 0 (a pendant hangs from its canopy at the top, a sconce's back plate is the
wall at the back). ShapeNet's lamps are the most varied of the R2N2 classes in silhouette: a tall thin
pole with a wide shade on top, a squat vase under a drum, an arm reaching out sideways, a cord with a
dome at its end, a chandelier's ring of arms. Most of the object is thin (poles, arms, cords) and the
visible mass sits in one or a few shades whose height above the base, size and opening direction a
one-view reconstruction has to read from the image, so the families differ in where that mass is and
how it is held, and every parameter within a family (pole height, shade shape and size, arm angles,
number of heads) ranges widely.

The eleven families: table lamps (vase, gourd, column, candlestick or stacked bodies under a shade),
floor lamps (foot or tripod, pole, shade), arc floor lamps (a heavy base, an arched pole, a hanging
dome), torchieres (an upward bowl on a pole), desk lamps (articulated, gooseneck or post arms and a
cone, dome or bar head), banker's and piano lamps (a horizontal hood on posts), pendants (cord and
shade, sometimes a cluster of them), chandeliers (arms with candles or small shades, sputniks, hanging
rings), wall sconces, tree lamps (several heads on branches of one pole) and mushroom or globe lamps.
Shades are open thin shells (seen into from above, as ShapeNet's are) or closed solids; every axis is
stretched independently afterwards. `make(seed, index)` is a pure function.
"""
import numpy as np

from synthetic.primitives import Convex, bar, box, cylinder, hsv, ring, sheet, tube

SYNSET = 3636649
FAMILIES = ("table", "floor", "arc", "torchiere", "desk", "banker", "pendant", "chandelier", "sconce", "tree",
            "mushroom")
FAMILY_WEIGHTS = np.array([16, 13, 7, 5, 13, 4, 12, 8, 8, 5, 6], float)
FAMILY_WEIGHTS /= FAMILY_WEIGHTS.sum()


# ---------------------------------------------------------------------------------------------------
# Solids and shells of revolution: a profile (K, 2) of (h, r) pairs, h along `axis` from `base`.
# ---------------------------------------------------------------------------------------------------
def _perp(axis):
    axis = np.asarray(axis, float) / np.linalg.norm(axis)
    helper = np.array([1.0, 0, 0]) if abs(axis[0]) < 0.9 else np.array([0, 0, 1.0])
    e1 = np.cross(axis, helper)
    e1 /= np.linalg.norm(e1)
    return axis, e1, np.cross(axis, e1)


def lathe(profile, part, base=(0, 0, 0), axis=(0, 1, 0), sides=16):
    """A solid of revolution, one frustum per profile segment (h strictly increasing): vases, knobs, domes."""
    base, axis = np.asarray(base, float), np.asarray(axis, float) / np.linalg.norm(axis)
    profile = np.asarray(profile, float)
    return [Convex(np.concatenate([ring(base + axis * h0, axis, max(r0, 1e-3), sides),
                                   ring(base + axis * h1, axis, max(r1, 1e-3), sides)]), part)
            for (h0, r0), (h1, r1) in zip(profile[:-1], profile[1:])]


def shell(profile, thickness, part, base=(0, 0, 0), axis=(0, 1, 0), sides=14, arc=1.0):
    """A thin open surface of revolution (a lampshade open at both ends), or `arc` of a turn of one (a hood)."""
    base = np.asarray(base, float)
    axis, e1, e2 = _perp(axis)
    profile = np.asarray(profile, float)
    k = np.arange(len(profile))

    def surface(u, v):
        h = np.interp(v * (len(profile) - 1), k, profile[:, 0])[..., None]
        r = np.interp(v * (len(profile) - 1), k, profile[:, 1])[..., None]
        a = (2 * np.pi * arc * u)[..., None]
        return base + axis * h + r * (np.cos(a) * e1 + np.sin(a) * e2)

    return sheet(surface, max(3, int(round(sides * arc))), len(profile) - 1, thickness, part)


def sphere(centre, radius, part, sides=12, rows=6, squash=1.0):
    """A round ball (or an ellipsoid squashed along y): a stack of frustums."""
    a = np.linspace(-np.pi / 2, np.pi / 2, rows + 1)
    a[0], a[-1] = a[0] + 0.15, a[-1] - 0.15
    prof = np.stack([radius * squash * np.sin(a), radius * np.cos(a)], 1)
    return lathe(prof - [prof[0, 0], 0], part, np.asarray(centre, float) + [0, prof[0, 0], 0], sides=sides)


def shade_profile(rng, kind, r, h):
    """(K, 2) profile of a shade from its wide rim (h = 0) to its narrow end (h), the light leaving at the rim."""
    if kind == "drum":
        return np.array([[0, r], [h, r * rng.uniform(0.85, 1.0)]])
    if kind == "cone":
        return np.array([[0, r], [h, r * rng.uniform(0.2, 0.75)]])
    if kind == "bell":
        top = rng.uniform(0.25, 0.5)
        return np.array([[0, r], [0.15 * h, r * 0.82], [0.55 * h, r * (top + 0.15)], [h, r * top]])
    if kind == "empire":
        return np.array([[0, r], [h * 0.9, r * rng.uniform(0.45, 0.65)], [h, r * 0.35]])
    # "dome": a quarter ellipse closing to a small hole
    a = np.linspace(0, np.pi / 2 * rng.uniform(0.75, 0.95), 5)
    return np.stack([h * np.sin(a), r * np.cos(a)], 1)


def shade(rng, rim, r, h, axis=(0, 1, 0), kind=None, solid=None, part="shade", sides=14):
    """A shade with its rim at `rim`, its narrow end at rim + h * axis. Returns (parts, narrow-end point, its radius).
    Open shades get a cap or a spider at the narrow end so whatever holds them there touches them."""
    kind = rng.choice(["drum", "cone", "bell", "empire", "dome"]) if kind is None else kind
    solid = rng.random() < 0.3 if solid is None else solid
    prof = shade_profile(rng, kind, r, h)
    rim, axis = np.asarray(rim, float), np.asarray(axis, float) / np.linalg.norm(axis)
    prof[:, 0] *= h / prof[-1, 0]  # the narrow end exactly at h (a dome's profile stops short of it)
    top = rim + axis * h
    r_top = prof[-1, 1]
    if solid:
        return lathe(prof, part, rim, axis, sides), top, r_top
    parts = shell(prof, max(0.004, r * 0.02), part, rim, axis, sides)
    _, e1, e2 = _perp(axis)
    if r_top < 0.45 * r or rng.random() < 0.5:  # a cap closing the narrow end
        rc = r_top * 1.03 + 0.002  # a little over the shell's rim, so the two overlap
        parts.append(Convex(np.concatenate([ring(top - axis * 0.006, axis, rc, sides), ring(top + axis * 0.004, axis, rc, sides)]), part))
    else:  # a spider: two bars across the top
        for e in (e1, e2):
            parts.append(bar(top - e * r_top, top + e * r_top, 0.006, "stand"))
    return parts, top, r_top


# ---------------------------------------------------------------------------------------------------
# Feet and poles.
# ---------------------------------------------------------------------------------------------------
def foot(rng, r, kind=None, part="base"):
    """A foot on the floor around the y axis. Returns (parts, height of its top)."""
    kind = rng.choice(["disc", "dome", "square", "stepped", "tripod", "star"]) if kind is None else kind
    if kind == "disc":
        th = r * rng.uniform(0.05, 0.25)
        return [cylinder([0, th / 2, 0], r, th / 2, part=part, sides=18)], th
    if kind == "dome":
        th = r * rng.uniform(0.2, 0.6)
        return lathe([[0, r], [th * 0.3, r * 0.95], [th * 0.7, r * 0.6], [th, r * 0.2]], part), th
    if kind == "square":
        th = r * rng.uniform(0.06, 0.3)
        return [box([0, th / 2, 0], [r * 0.85, th / 2, r * 0.85 * rng.uniform(0.7, 1.0)], part=part)], th
    if kind == "stepped":
        t1, t2 = r * rng.uniform(0.05, 0.15), r * rng.uniform(0.05, 0.25)
        return [cylinder([0, t1 / 2, 0], r, t1 / 2, part=part, sides=18),
                cylinder([0, t1 + t2 / 2 - 0.002, 0], r * rng.uniform(0.4, 0.75), t2 / 2, part=part, sides=18)], t1 + t2 - 0.004
    n = 3 if kind == "tripod" else int(rng.choice([4, 5]))
    h = r * (rng.uniform(0.6, 2.5) if kind == "tripod" else rng.uniform(0.05, 0.3))
    t = r * rng.uniform(0.06, 0.15)
    phase = rng.uniform(0, 2 * np.pi)
    parts = [bar([r * np.cos(phase + 2 * np.pi * k / n), t / 2, r * np.sin(phase + 2 * np.pi * k / n)], [0, h, 0], t, part,
                 round_=kind == "tripod") for k in range(n)]
    return parts, h - t / 2


def pole(y0, y1, t, part="stand", x=0.0, z=0.0):
    return bar([x, y0 - 0.005, z], [x, y1, z], t, part, round_=True)


# ---------------------------------------------------------------------------------------------------
# Families.
# ---------------------------------------------------------------------------------------------------
def body_profile(rng, kind, R, H):
    """(K, 2) profile of a table lamp's body from the table up."""
    t = np.linspace(0, 1, 8)
    if kind == "vase":
        c = R * np.array([rng.uniform(0.4, 0.9), rng.uniform(0.7, 1.0), rng.uniform(0.85, 1.1), rng.uniform(0.6, 1.0),
                          rng.uniform(0.25, 0.6), rng.uniform(0.2, 0.6)])
        return np.stack([np.linspace(0, H, 6), c], 1)
    if kind == "gourd":
        return np.stack([t * H, R * (0.25 + 0.75 * np.sin(np.pi * (0.08 + 0.84 * t)) ** rng.uniform(0.5, 2.0))], 1)
    if kind == "column":
        taper = rng.uniform(0.5, 1.2)
        return np.array([[0, R * 0.6], [H, R * 0.6 * taper]])
    # "candlestick": a foot, a slim stem with knobs, a cup
    s = R * rng.uniform(0.08, 0.2)
    k1, k2 = rng.uniform(0.25, 0.45), rng.uniform(0.55, 0.8)
    return np.array([[0, R], [H * 0.06, R * 0.9], [H * 0.12, s], [H * k1 - 0.02, s], [H * k1, s * 2.2], [H * k1 + 0.02, s],
                     [H * k2, s], [H * k2 + 0.02, s * 2.0], [H * k2 + 0.04, s], [H * 0.97, s], [H, s * 2]])


def table(rng):
    """A body (vase, gourd, column, candlestick, square block or stacked balls) under a shade on a stem."""
    H = rng.uniform(0.15, 0.5)
    R = rng.uniform(0.05, 0.16)
    kind = rng.choice(["vase", "gourd", "column", "candlestick", "square", "balls"], p=[0.25, 0.2, 0.15, 0.15, 0.15, 0.1])
    parts = []
    if kind == "square":
        w, taper = R * rng.uniform(0.6, 1.0), rng.uniform(0.5, 1.3)
        parts.append(Convex([[sx * w * s, y, sz * w * s] for sx in (-1, 1) for sz in (-1, 1) for y, s in ((0, 1), (H, taper))], "body"))
    elif kind == "balls":
        y = 0.0
        for k in range(int(rng.integers(2, 4))):
            r, sq = R * rng.uniform(0.5, 1.0), rng.uniform(0.7, 1.1)
            parts += sphere([0, y + r * sq - 0.01 * (k > 0), 0], r, "body", squash=sq)
            y = parts[-1].verts[:, 1].max()
        H = y
    else:
        parts += lathe(body_profile(rng, kind, R, H), "body")
    if rng.random() < 0.4:  # a plinth
        pt = rng.uniform(0.01, 0.04)
        parts = [Convex(p.verts + [0, pt, 0], p.part) for p in parts]
        parts.append(box([0, pt / 2, 0], [R * 1.1, pt / 2, R * 1.1], part="base") if rng.random() < 0.5
                     else cylinder([0, pt / 2, 0], R * 1.15, pt / 2, part="base"))
        H += pt
    r = rng.uniform(0.1, 0.3)
    h = r * rng.uniform(0.5, 1.3)
    gap = rng.uniform(-0.3, 0.5) * h
    rim_y = H + max(gap, 0.0) if gap > 0 else H + gap * 0.5
    shade_parts, top, r_top = shade(rng, [0, rim_y, 0], r, h, kind=rng.choice(["drum", "cone", "empire", "bell"]))
    parts += shade_parts
    parts.append(pole(H - 0.01, top[1] + 0.01, rng.uniform(0.008, 0.015)))
    if rng.random() < 0.4:  # a finial
        parts += sphere([0, top[1], 0], rng.uniform(0.01, 0.025), "stand", sides=8, rows=4)
    return parts


def floor_lamp(rng):
    """A foot or tripod, a tall pole, a shade on top; sometimes a tray or a reading arm on the pole."""
    Hgt = rng.uniform(1.1, 1.9)
    kind = rng.choice(["disc", "dome", "square", "stepped", "tripod", "star"], p=[0.25, 0.15, 0.15, 0.1, 0.25, 0.1])
    fr = rng.uniform(0.12, 0.3)
    parts, fy = foot(rng, fr, kind)
    t = rng.uniform(0.015, 0.04)
    r = rng.uniform(0.15, 0.3)
    h = r * rng.uniform(0.5, 1.4)
    rim_y = Hgt - h * rng.uniform(0.7, 1.0)
    shade_parts, top, _ = shade(rng, [0, rim_y, 0], r, h)
    parts += shade_parts
    parts.append(pole(fy, top[1], t))
    if rng.random() < 0.2:  # a tray
        y = rng.uniform(0.4, 0.7)
        parts.append(cylinder([0, y, 0], rng.uniform(0.12, 0.25), 0.01, part="base", sides=16))
    if rng.random() < 0.2:  # a reading arm with a small head
        y = rng.uniform(0.9, 1.0) * rim_y
        a = rng.uniform(0, 2 * np.pi)
        tip = np.array([np.cos(a) * 0.3, y + 0.1, np.sin(a) * 0.3])
        parts += tube([[0, y, 0], [np.cos(a) * 0.18, y + 0.12, np.sin(a) * 0.18], tip], t * 0.7, "stand")
        parts += shade(rng, tip - [0, 0.1, 0], 0.06, 0.1, kind="cone", sides=10)[0]
    return parts


def arc(rng):
    """A heavy base, a pole arching over to a dome hanging far from it."""
    b = rng.uniform(0.03, 0.12)
    br = rng.uniform(0.15, 0.3)
    if rng.random() < 0.5:
        parts = [box([0, b / 2, 0], [br, b / 2, br * rng.uniform(0.6, 1.0)], part="base")]
    else:
        parts = [cylinder([0, b / 2, 0], br, b / 2, part="base", sides=18)]
    H = rng.uniform(1.4, 2.2)
    D = rng.uniform(0.6, 1.8)
    end = rng.uniform(0.55, 0.8) * np.pi
    a = np.linspace(0, end, 10)
    x = D * (1 - np.cos(a)) / (1 - np.cos(end))
    y = b + (H - b) * np.sin(np.minimum(a, np.pi / 2)) - (H * 0.15) * np.clip(a - np.pi / 2, 0, None)
    path = np.stack([x, y, np.zeros_like(x)], 1)
    path = np.concatenate([[[0, b - 0.01, 0]], path[1:]])
    parts += tube(path, rng.uniform(0.02, 0.04), "stand")
    r = rng.uniform(0.15, 0.35)
    h = r * rng.uniform(0.4, 0.9)
    drop = rng.uniform(0.0, 0.25)
    tip = path[-1]
    if drop > 0.03:
        parts.append(bar(tip, tip - [0, drop, 0], 0.008, "stand"))
    parts += shade(rng, tip - [0, drop + h, 0], r, h, kind=rng.choice(["dome", "dome", "cone", "bell", "drum"]))[0]
    turn = rng.choice([0, np.pi / 2, np.pi, -np.pi / 2, rng.uniform(0, 2 * np.pi)])
    c, s = np.cos(turn), np.sin(turn)
    return [p.transformed(np.array([[c, 0, s], [0, 1, 0], [-s, 0, c]])) for p in parts]


def torchiere(rng):
    """A bowl opening upwards on a tall pole (uplighter)."""
    parts, fy = foot(rng, rng.uniform(0.12, 0.25), rng.choice(["disc", "dome", "stepped", "star", "tripod"]))
    H = rng.uniform(1.2, 1.9)
    R = rng.uniform(0.12, 0.3)
    h = R * rng.uniform(0.3, 1.0)
    kind = rng.choice(["cone", "dome", "bell"])
    bowl, bottom, _ = shade(rng, [0, H, 0], R, h, axis=(0, -1, 0), kind=kind, solid=rng.random() < 0.25)
    parts += bowl
    parts.append(pole(fy, bottom[1] + 0.01, rng.uniform(0.015, 0.04)))
    return parts


def desk(rng):
    """An articulated (two arms), gooseneck or post arm on a foot or clamp, a cone, dome or bar head."""
    fkind = rng.choice(["disc", "square", "dome", "clamp"])
    if fkind == "clamp":
        parts = [box([0, 0.03, 0], [0.03, 0.03, 0.05], part="base")]
        fy = 0.06
    else:
        parts, fy = foot(rng, rng.uniform(0.07, 0.14), fkind)
    t = rng.uniform(0.01, 0.022)
    yaw = rng.uniform(-0.7, 0.7) if rng.random() < 0.5 else 0.0
    fwd = np.array([np.sin(yaw), 0, np.cos(yaw)])
    up = np.array([0, 1.0, 0])
    base = np.array([0, fy, 0])
    style = rng.choice(["articulated", "gooseneck", "post"], p=[0.5, 0.25, 0.25])
    if style == "articulated":
        L1, L2 = rng.uniform(0.2, 0.45), rng.uniform(0.2, 0.45)
        a1, a2 = rng.uniform(-0.7, 0.35), rng.uniform(-0.7, 0.5)  # lower arm from vertical (+ forward), upper from horizontal
        elbow = base + L1 * (np.cos(a1) * up + np.sin(a1) * fwd)
        tip = elbow + L2 * (np.cos(a2) * fwd + np.sin(a2) * up)
        side = np.cross(fwd, up) * rng.uniform(0.0, 0.02)
        for s in ((-1, 1) if np.linalg.norm(side) > 0.008 else (0,)):
            parts.append(bar(base + s * side, elbow + s * side, t, "stand", round_=True))
            parts.append(bar(elbow + s * side, tip + s * side, t, "stand", round_=True))
        parts.append(cylinder(base, t * 1.3, t * 1.5, axis=np.cross(fwd, up), part="stand", sides=10))
        parts.append(cylinder(elbow, t * 1.2, max(t, np.linalg.norm(side)) * 1.5, axis=np.cross(fwd, up), part="stand", sides=10))
        if rng.random() < 0.5:  # a spring along the lower arm
            off = fwd * 0.03 * rng.choice([-1, 1])
            parts.append(bar(base + off * 0.5 + up * 0.03, elbow * 0.6 + base * 0.4 + off, t * 0.5, "stand"))
            parts.append(bar(elbow * 0.6 + base * 0.4 + off, elbow, t * 0.5, "stand"))
    elif style == "gooseneck":
        H, reach = rng.uniform(0.25, 0.55), rng.uniform(0.05, 0.35)
        s = np.linspace(0, 1, 7)
        path = base + (H * np.sin(np.pi / 2 * s ** rng.uniform(0.6, 1.0)))[:, None] * up + (reach * s ** 2)[:, None] * fwd
        parts += tube(path, t, "stand")
        tip = path[-1]
    else:
        H, reach = rng.uniform(0.25, 0.6), rng.uniform(0.1, 0.4)
        top = base + H * up
        parts.append(bar(base - up * 0.01, top, t * 1.2, "stand", round_=True))
        tip = top + reach * fwd + up * rng.uniform(-0.05, 0.05)
        parts.append(bar(top, tip, t, "stand", round_=True))
    tilt = rng.uniform(-0.4, 0.9)  # the head's light direction, from straight down towards forward
    light = -np.cos(tilt) * up + np.sin(tilt) * fwd
    if rng.random() < 0.2:  # a flat LED bar head
        hw, hl = rng.uniform(0.02, 0.05), rng.uniform(0.12, 0.35)
        R = np.stack([np.cross(fwd, up), -light, fwd - np.dot(fwd, light) * light], 1)
        R[:, 2] /= np.linalg.norm(R[:, 2])
        R[:, 0] = np.cross(R[:, 1], R[:, 2])
        parts.append(box(tip + R[:, 2] * (hl / 2 - 0.02), [hw, 0.01, hl / 2], R, part="shade"))
        return parts
    r = rng.uniform(0.05, 0.13)
    h = r * rng.uniform(0.6, 1.6)
    head, top, r_top = shade(rng, tip + light * h, r, h, axis=-light, kind=rng.choice(["cone", "dome", "bell", "drum"]), sides=12)
    parts += head
    if rng.random() < 0.5:  # a housing behind the shade
        parts.append(cylinder(top, min(r_top, r * 0.5) * 1.1, r * 0.25, axis=light, part="shade", sides=10))
    return parts


def banker(rng):
    """A horizontal hood (half tube or flat) over one or two posts: banker's, piano and picture lamps."""
    w = rng.uniform(0.15, 0.5)
    if rng.random() < 0.5:
        parts = [box([0, 0.015, 0], [w / 2 * rng.uniform(0.6, 1.0), 0.015, rng.uniform(0.05, 0.12)], part="base")]
        fy = 0.03
    else:
        parts, fy = foot(rng, rng.uniform(0.06, 0.12), rng.choice(["disc", "dome", "stepped"]))
    H = rng.uniform(0.2, 0.45)
    t = rng.uniform(0.01, 0.02)
    if rng.random() < 0.5:
        parts.append(pole(fy, H, t))
    else:  # a U or two posts
        for sx in (-1, 1):
            parts.append(bar([0, fy, 0], [sx * w * 0.35, fy + 0.01, 0], t, "stand", round_=True))
            parts.append(pole(fy + 0.01, H, t, x=sx * w * 0.35))
        parts.append(bar([-w * 0.35, H, 0], [w * 0.35, H, 0], t, "stand", round_=True))
    R = rng.uniform(0.04, 0.09)
    zc = rng.uniform(0.0, 0.06)
    if rng.random() < 0.6:
        half = np.pi * rng.uniform(0.8, 1.1)
        a0 = np.pi / 2 - half / 2

        def surface(u, v):
            a = a0 + half * v
            return np.stack([(u - 0.5) * w, H + R * np.sin(a), zc + R * np.cos(a)], -1)

        parts += sheet(surface, 1, 6, 0.006, "shade")
        parts.append(bar([0, H - 0.01, 0], [0, H + R, zc], t, "stand"))
    else:
        parts.append(Convex([[sx * w / 2 * s, y, zc + z] for sx in (-1, 1) for y, z, s in
                             ((H + R, -R * 0.5, 1), (H + R, R * 0.5, 1), (H, -R, 1.05), (H, R * 1.2, 1.05))], "shade"))
    return parts


def pendant(rng):
    """A canopy at the top, a cord, a shade at its end; or a cluster of pendants from one canopy."""
    kind = rng.choice(["dome", "cone", "bell", "drum", "globe", "cage", "tiers"])
    n = 1 if rng.random() < 0.75 else int(rng.integers(2, 3 if kind in ("cage", "tiers") else 6))  # cages: many cells each
    parts = []
    if n == 1:
        positions = [np.zeros(2)]
    elif rng.random() < 0.5:  # in a row under a long canopy
        span = rng.uniform(0.4, 1.2)
        positions = [np.array([x, 0.0]) for x in np.linspace(-span / 2, span / 2, n)]
        parts.append(box([0, -0.02, 0], [span / 2 + 0.05, 0.02, 0.05], part="base"))
    else:  # in a ring under a round canopy
        rad = rng.uniform(0.1, 0.4)
        positions = [rad * np.array([np.cos(a), np.sin(a)]) for a in 2 * np.pi * np.arange(n) / n]
        parts.append(cylinder([0, -0.02, 0], rad + 0.06, 0.02, part="base", sides=16))
    if n == 1:
        parts.append(cylinder([0, -0.02, 0], rng.uniform(0.04, 0.1), 0.02, part="base", sides=14))
    L0 = rng.uniform(0.2, 1.3)
    r0 = rng.uniform(0.08, 0.3) / (1 + 0.3 * (n > 1))
    for p in positions:
        L = L0 * (rng.uniform(0.5, 1.0) if n > 1 else 1.0)
        r = r0 * (rng.uniform(0.8, 1.0) if n > 1 else 1.0)
        x, z = p
        parts.append(bar([x, -0.03, z], [x, -L - 0.01, z], 0.006, "cord", round_=True))
        if kind == "globe":
            sq = rng.uniform(0.7, 1.2)
            parts += sphere([x, -L - r * sq + 0.01, z], r, "shade", squash=sq)
        elif kind == "cage":  # vertical wires between two rings
            h = r * rng.uniform(1.0, 2.0)
            k = int(rng.integers(5, 9))
            a = 2 * np.pi * np.arange(k) / k
            parts.append(cylinder([x, -L, z], r * 0.4 + 0.004, 0.004, part="shade", sides=k))  # a cap the cord ends in
            for yy, rr in ((-L, r * 0.4), (-L - h * 0.6, r), (-L - h, r * 0.5)):
                parts += tube(np.stack([x + rr * np.cos(a), np.full(k, yy), z + rr * np.sin(a)], 1), 0.006, "shade", closed=True)
            for b in a:
                parts += tube([[x + r * 0.4 * np.cos(b), -L, z + r * 0.4 * np.sin(b)], [x + r * np.cos(b), -L - h * 0.6, z + r * np.sin(b)],
                               [x + r * 0.5 * np.cos(b), -L - h, z + r * 0.5 * np.sin(b)]], 0.006, "shade")
        elif kind == "tiers":  # stacked open rings, narrowing upwards
            h = r * 0.25
            n_tiers = int(rng.integers(3, 6))
            for k in range(n_tiers):
                rr = r * (1 - 0.15 * k)
                parts += shell([[0, rr], [h, rr * 0.9]], 0.004, "shade", [x, -L - 4 * h + 0.9 * h * k, z], sides=14)
            parts.append(bar([x, -L + 0.01, z], [x, -L - 4 * h, z], 0.008, "cord"))
            for k in range(n_tiers):
                rr = r * (1 - 0.15 * k) * 0.95
                yy = -L - 4 * h + 0.9 * h * k + h * 0.5
                for b in (0, np.pi / 2):
                    parts.append(bar([x - rr * np.cos(b), yy, z - rr * np.sin(b)], [x + rr * np.cos(b), yy, z + rr * np.sin(b)], 0.006, "cord"))
        else:
            h = r * rng.uniform(0.5, 1.4)
            parts += shade(rng, [x, -L - h, z], r, h, kind=kind)[0]
            if rng.random() < 0.4:  # a bulb hanging in the opening
                br = min(0.04, r * 0.4)
                parts.append(bar([x, -L, z], [x, -L - h - 0.02, z], 0.008, "cord"))
                parts += sphere([x, -L - h - 0.02 - br + 0.005, z], br, "bulb", sides=10, rows=4)
    return parts


def chandelier(rng):
    """Arms around a hub with candles or small shades (one or two tiers), a sputnik, or a hanging ring."""
    L = rng.uniform(0.1, 0.8)
    parts = [cylinder([0, -0.02, 0], rng.uniform(0.05, 0.12), 0.02, part="base", sides=14)]
    parts.append(bar([0, -0.03, 0], [0, -L, 0], rng.uniform(0.008, 0.02), "cord", round_=True))
    style = rng.choice(["arms", "sputnik", "ring"], p=[0.6, 0.2, 0.2])
    if style == "sputnik":
        R = rng.uniform(0.05, 0.12)
        parts += sphere([0, -L - R + 0.01, 0], R, "stand")
        c = np.array([0, -L - R, 0])
        k = int(rng.integers(8, 18))
        g = rng.normal(size=(k, 3))
        g /= np.linalg.norm(g, axis=1, keepdims=True)
        g[:, 1] = np.minimum(g[:, 1], 0.7)
        g /= np.linalg.norm(g, axis=1, keepdims=True)
        arm = rng.uniform(0.25, 0.6)
        for d in g:
            parts.append(bar(c, c + d * arm, 0.01, "stand", round_=True))
            parts += sphere(c + d * (arm + 0.02), 0.03, "bulb", sides=8, rows=3)
        return parts
    if style == "ring":
        R = rng.uniform(0.3, 0.7)
        drop = rng.uniform(0.2, 0.6)
        y = -L - drop
        a = 2 * np.pi * np.arange(16) / 16
        parts += tube(np.stack([R * np.cos(a), np.full(16, y), R * np.sin(a)], 1), rng.uniform(0.02, 0.05), "stand", closed=True)
        for b in 2 * np.pi * np.arange(4) / 4:
            parts.append(bar([0, -L, 0], [R * np.cos(b), y, R * np.sin(b)], 0.006, "cord"))
        k = int(rng.integers(6, 14))
        for b in 2 * np.pi * (np.arange(k) + 0.5) / k:
            p = np.array([R * np.cos(b), y, R * np.sin(b)])
            parts.append(cylinder(p + [0, 0.04, 0], 0.012, 0.04, part="bulb", sides=8))
        return parts
    hub_h = rng.uniform(0.15, 0.45)
    hub_r = rng.uniform(0.03, 0.09)
    top = -L
    prof = np.array([[0, hub_r * 0.3], [hub_h * 0.3, hub_r], [hub_h * 0.6, hub_r * 0.6], [hub_h * 0.85, hub_r * 0.9], [hub_h, hub_r * 0.2]])
    parts += lathe(prof, "stand", [0, top - hub_h, 0])
    head = rng.choice(["candle", "shade", "cup"])
    tiers = int(rng.choice([1, 1, 2]))
    for tier in range(tiers):
        k = int(rng.integers(3, 10 if tiers == 1 else 7))
        R = rng.uniform(0.2, 0.55) * (1 - 0.4 * tier)
        y0 = top - hub_h * (0.5 - 0.3 * tier)
        rise = rng.uniform(-0.05, 0.25)
        phase = rng.uniform(0, 2 * np.pi)
        for a in phase + 2 * np.pi * np.arange(k) / k:
            d = np.array([np.cos(a), 0, np.sin(a)])
            s = np.linspace(0, 1, 5)
            path = d * (R * s)[:, None] + np.stack([np.zeros(5), y0 - 0.12 * np.sin(np.pi * s) + rise * s ** 2, np.zeros(5)], 1)
            parts += tube(path, 0.015, "stand")
            end = path[-1]
            parts.append(cylinder(end + [0, 0.015, 0], 0.035, 0.015, part="stand", sides=10))
            if head == "candle":
                parts.append(cylinder(end + [0, 0.07, 0], 0.012, 0.05, part="bulb", sides=8))
            elif head == "shade":
                parts += shade(rng, end + [0, 0.03, 0], 0.07, 0.1, kind=rng.choice(["drum", "cone"]), solid=True, sides=10)[0]
            else:
                parts += shade(rng, end + [0, 0.12, 0], 0.05, 0.1, axis=(0, -1, 0), kind="cone", solid=True, sides=10)[0]
    return parts


def sconce(rng):
    """A back plate on the wall (at the back), an arm forward, a shade up or down; or a flush shade."""
    plate = rng.choice(["disc", "rect"])
    H = rng.uniform(0.1, 0.35)
    pw = rng.uniform(0.05, 0.15)
    pt = rng.uniform(0.01, 0.03)
    if plate == "disc":
        parts = [cylinder([0, 0, pt / 2], pw, pt / 2, axis=(0, 0, 1), part="base", sides=16)]
    else:
        parts = [box([0, 0, pt / 2], [pw * rng.uniform(0.5, 1.0), H / 2, pt / 2], part="base")]
    style = rng.choice(["arm", "swing", "flush", "candles"], p=[0.4, 0.2, 0.2, 0.2])
    if style == "flush":
        r = rng.uniform(0.08, 0.2)
        h = rng.uniform(0.15, 0.4)
        arc_ = rng.uniform(0.45, 0.55)
        half = shell([[0, r], [h, r * rng.uniform(0.6, 1.3)]], 0.006, "shade", [0, -h / 2, 0], sides=14, arc=arc_)
        half = [q.transformed(np.array([[0, 0, 1.0], [0, 1, 0], [-1.0, 0, 0]])) for q in half]  # its open side to the wall
        return parts + [Convex(q.verts + [0, 0, pt], q.part) for q in half] + [box([0, 0, pt + 0.005], [r * 1.05, h * 0.45, 0.006], part="base")]
    reach = rng.uniform(0.08, 0.45 if style == "swing" else 0.25)
    up = rng.choice([-1, 1])
    t = rng.uniform(0.01, 0.025)
    ends = []
    for sx in ((-1, 1) if style == "candles" else (0,)):
        x = sx * rng.uniform(0.08, 0.15)
        rise = rng.uniform(0.03, 0.15)
        path = [[0, 0, pt], [x * 0.5, 0, pt + reach * 0.5], [x, rise * 0.3, pt + reach * 0.9], [x, rise, pt + reach]]
        parts += tube(path, t, "stand")
        ends.append(np.array(path[-1]))
    for end in ends:
        if style == "candles":
            parts.append(cylinder(end + [0, 0.01, 0], 0.03, 0.01, part="stand", sides=10))
            parts.append(cylinder(end + [0, 0.07, 0], 0.012, 0.05, part="bulb", sides=8))
            if rng.random() < 0.5:  # a small shade resting on the candle's tip
                parts += shade(rng, end + [0, 0.02, 0], 0.06, 0.1, kind="cone", sides=10)[0]
        else:
            r = rng.uniform(0.05, 0.15)
            h = r * rng.uniform(0.6, 1.5)
            axis = np.array([0, -up, 0.0])
            parts += shade(rng, end - axis * (h - 0.005), r, h, axis=axis, kind=rng.choice(["drum", "cone", "bell", "dome"]))[0]
    return parts


def tree(rng):
    """One pole with several heads on branches at different heights, pointing different ways."""
    parts, fy = foot(rng, rng.uniform(0.12, 0.25), rng.choice(["disc", "dome", "star", "square"]))
    H = rng.uniform(1.2, 1.9)
    parts.append(pole(fy, H, rng.uniform(0.015, 0.03)))
    k = int(rng.integers(2, 6))
    for i in range(k):
        a = rng.uniform(0, 2 * np.pi)
        y = H * rng.uniform(0.55, 1.0)
        reach = rng.uniform(0.1, 0.4)
        d = np.array([np.cos(a), 0, np.sin(a)])
        tip = np.array([0, y, 0]) + d * reach + [0, rng.uniform(0.0, 0.2), 0]
        parts += tube([[0, y, 0], [0, y, 0] + d * reach * 0.5 + [0, 0.05, 0], tip], 0.012, "stand")
        tilt = rng.uniform(-0.5, 2.5)
        light = -np.cos(tilt) * np.array([0, 1.0, 0]) + np.sin(tilt) * d
        r = rng.uniform(0.05, 0.12)
        h = r * rng.uniform(0.8, 1.5)
        parts += shade(rng, tip + light * h, r, h, axis=-light, kind=rng.choice(["cone", "dome", "bell"]), sides=10)[0]
    return parts


def mushroom(rng):
    """A big dome or ball on a short stem: mushroom lamps, globe lamps, lava-lamp cylinders."""
    style = rng.choice(["mushroom", "globe", "tall"])
    if style == "globe":
        parts, fy = foot(rng, rng.uniform(0.05, 0.12), rng.choice(["disc", "dome", "square", "stepped"]))
        R, sq = rng.uniform(0.08, 0.2), rng.uniform(0.7, 1.3)
        parts += sphere([0, fy - 0.01 + rng.uniform(0.0, 0.1) + R * sq, 0], R, "shade", squash=sq)
        parts.append(pole(fy, min(q.verts[:, 1].min() for q in parts if q.part == "shade") + 0.02, 0.02))
        return parts
    if style == "tall":
        parts, fy = foot(rng, rng.uniform(0.06, 0.12), rng.choice(["disc", "dome", "stepped"]))
        H = rng.uniform(0.25, 0.6)
        R = rng.uniform(0.04, 0.1)
        w = rng.uniform(0.5, 1.4)
        parts += lathe([[0, R], [H * 0.5, R * w], [H, R * rng.uniform(0.3, 1.0)]], "shade", [0, fy - 0.005, 0])
        if rng.random() < 0.5:
            parts += lathe([[0, R], [0.05, R * 0.7]], "base", [0, fy + H - 0.01, 0])
        return parts
    parts, fy = foot(rng, rng.uniform(0.06, 0.15), rng.choice(["disc", "dome", "stepped"]))
    H = rng.uniform(0.1, 0.4)
    sr = rng.uniform(0.02, 0.06)
    parts += lathe([[0, sr * rng.uniform(1.0, 1.8)], [H, sr]], "body", [0, fy - 0.005, 0])
    R = rng.uniform(0.12, 0.3)
    h = R * rng.uniform(0.35, 0.9)
    parts += shade(rng, [0, fy + H - h * rng.uniform(0.0, 0.4), 0], R, h, kind="dome", solid=rng.random() < 0.6)[0]
    return parts


BUILDERS = {"table": table, "floor": floor_lamp, "arc": arc, "torchiere": torchiere, "desk": desk, "banker": banker,
            "pendant": pendant, "chandelier": chandelier, "sconce": sconce, "tree": tree, "mushroom": mushroom}
assert tuple(BUILDERS) == FAMILIES


def _colours(rng):
    """Per-part RGB and (shininess, specular): brass, chrome, black metal, ceramic, wood or coloured plastic
    stands; fabric, paper, glass or metal shades."""
    metal = rng.choice(["brass", "chrome", "black", "white", "wood", "colour"])
    stand = {"brass": hsv(0.12, rng.uniform(0.5, 0.8), rng.uniform(0.55, 0.85)), "chrome": (0.75, 0.75, 0.78),
             "black": (0.08, 0.08, 0.09), "white": (0.9, 0.9, 0.88), "wood": hsv(rng.uniform(0.05, 0.1), 0.6, rng.uniform(0.35, 0.7)),
             "colour": hsv(rng.uniform(0, 1), rng.uniform(0.4, 0.9), rng.uniform(0.3, 0.9))}[metal]
    shade_c = hsv(rng.uniform(0, 1), rng.uniform(0.0, 0.5), rng.uniform(0.7, 1.0)) if rng.random() < 0.6 else \
        (stand if rng.random() < 0.5 else hsv(rng.uniform(0, 1), rng.uniform(0.3, 0.9), rng.uniform(0.2, 0.9)))
    body = hsv(rng.uniform(0, 1), rng.uniform(0.1, 0.8), rng.uniform(0.3, 0.95)) if rng.random() < 0.6 else stand
    colours = {"stand": stand, "base": stand if rng.random() < 0.7 else body, "shade": shade_c, "body": body,
               "cord": (0.1, 0.1, 0.1) if rng.random() < 0.6 else stand, "bulb": (1.0, 0.97, 0.85)}
    shininess = {"brass": 100.0, "chrome": 140.0, "black": 30.0, "white": 40.0, "wood": 10.0, "colour": 50.0}[metal]
    specular = {"brass": 0.7, "chrome": 0.8, "black": 0.3, "white": 0.3, "wood": 0.15, "colour": 0.4}[metal]
    return colours, (float(shininess * rng.uniform(0.7, 1.3)), float(specular))


def make(seed, index):
    """(family, parts, colours per part, material) of lamp `index`, a pure function of (seed, index).

    After its family builds it, the lamp is stretched by an independent factor per axis, more along the
    height (the pole, the cord) than across it (round shades stay near round)."""
    rng = np.random.default_rng([seed, index, SYNSET])
    family = FAMILIES[rng.choice(len(FAMILIES), p=FAMILY_WEIGHTS)]
    parts = BUILDERS[family](rng)
    stretch = np.diag(np.exp(rng.uniform([-0.25, -0.4, -0.25], [0.25, 0.4, 0.25])))
    parts = [p.transformed(stretch) for p in parts]
    colours, material = _colours(rng)
    return family, parts, colours, material
