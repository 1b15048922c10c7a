"""Procedural displays (ShapeNet synset 03211117, monitors and TVs): families, parts, proportions (geometry only, numpy).

A display is a list of closed convex parts (synthetic/primitives.py) in raw units (about metres), +y up, the
screen facing +z, standing on y = 0. Every display is a thin rectangle seen mostly from the front, so
what a one-view reconstruction has to get right is what the image shows less plainly: the panel's aspect
ratio and thickness, how deep the body behind it is (a flat panel, a bulge for the electronics, a CRT's
tapering tube), whether and how it stands (a neck on a foot, two feet at the ends, a slanted plate, a
swivel base, nothing at all for a wall-mounted one), how far the panel rises above its foot and how far
it leans back. The families differ in those, and every parameter within a family ranges widely.

The ten families: flat monitors on a stand (round, oval, rectangular, V or plate feet; bar, plate or
arm necks; upright or leaning, high or low, sometimes turned to portrait or with a thick back), TVs on
feet at the ends or on a central pedestal, CRT monitors and TVs (a deep tapering box, sometimes on a
swivel base or with a speaker chin), all-in-one computers (a chin below the screen and a slanted plate
foot), wall-mounted panels (no stand, sometimes a sound bar below), curved monitors and TVs, two or
three monitors on one stand, TVs on their own cabinet, boxy retro sets with a speaker grille on legs,
and desktop sets (a monitor with its keyboard in front, sometimes speakers or a tower beside it), as
some of ShapeNet's displays are modelled. Every axis is
stretched independently afterwards. `make(seed, index)` is a pure function.
"""
import numpy as np

from synthetic.chairs import under
from synthetic.primitives import Convex, bar, box, cylinder, hsv, rot_x, rounded_rect, sheet

SYNSET = 3211117
FAMILIES = ("monitor", "tv_feet", "crt", "all_in_one", "wall", "curved", "multi", "console", "retro", "desktop")
FAMILY_WEIGHTS = np.array([17, 11, 13, 6, 4, 10, 7, 9, 8, 10], float)
FAMILY_WEIGHTS /= FAMILY_WEIGHTS.sum()

ASPECTS = np.array([16 / 9, 16 / 10, 4 / 3, 5 / 4, 21 / 9, 32 / 9, 3 / 2])


def plate(outline, z0, z1, part):
    """An upright plate: the convex outline (K, 2) of (x, y) points, from depth z0 to z1."""
    outline = np.asarray(outline, float)
    return Convex(np.concatenate([np.c_[outline, np.full(len(outline), z)] for z in (z0, z1)]), part)


def placed(parts, rot, centre):
    """The parts turned by `rot` (3, 3) and moved to `centre`."""
    return [Convex(p.verts @ np.asarray(rot).T + centre, p.part) for p in parts]


def rot_y(a):
    c, s = np.cos(a), np.sin(a)
    return np.array([[c, 0, s], [0, 1, 0], [-s, 0, c]])


def panel(rng, W, H, T, bezel=None, bulge=None, chin=0.0, speakers=False):
    """A flat panel centred at the origin, screen at +z: frame, screen (inset by the bezel, just proud of the
    frame), an optional housing behind (a box or a tapered block, thin to deep) and, for `speakers`, often
    speaker columns at the sides or a speaker bar below. Returns (parts, z of the back's rearmost face)."""
    bezel = rng.uniform(0.005, 0.06) * H if bezel is None else bezel
    radius = rng.uniform(0.0, 0.03) * H if rng.random() < 0.5 else 0.0
    outline = rounded_rect(W, H + chin, radius, 3) if radius > 0.002 else np.array([[-W / 2, -(H + chin) / 2], [W / 2, -(H + chin) / 2],
                                                                                   [W / 2, (H + chin) / 2], [-W / 2, (H + chin) / 2]])
    parts = [plate(outline - [0, chin / 2], -T / 2, T / 2, "frame")]
    parts.append(box([0, 0, T / 2 - 0.001], [W / 2 - bezel, H / 2 - bezel, 0.002], part="screen"))
    back = -T / 2
    bulge = (min(rng.uniform(0.2, 8.0) * T, 0.35 * W) if rng.random() < 0.7 else 0.0) if bulge is None else bulge
    if bulge > 0.002:
        bw, bh = W * rng.uniform(0.3, 0.95), H * rng.uniform(0.3, 0.9)
        k = rng.uniform(0.3, 1.0)
        dy = rng.uniform(-0.15, 0.05) * H
        parts.append(Convex([[sx * bw / 2 * s, dy + sy * bh / 2 * s, z] for sx in (-1, 1) for sy in (-1, 1)
                             for z, s in ((-T / 2 + 0.001, 1.0), (-T / 2 - bulge, k))], "frame"))
        back = -T / 2 - bulge
    kind = rng.choice(["none", "sides", "below"], p=[0.4, 0.3, 0.3]) if speakers else "none"
    depth = T * rng.uniform(1.0, 3.0)
    if kind == "sides":
        sw, sh = W * rng.uniform(0.05, 0.15), H * rng.uniform(0.6, 1.0)
        for sx in (-1, 1):
            parts.append(box([sx * (W / 2 + sw / 2 - 0.002), -(H - sh) / 2, T / 2 - depth / 2], [sw / 2, sh / 2, depth / 2], part="speaker"))
    elif kind == "below":
        sh = H * rng.uniform(0.06, 0.18)
        parts.append(box([0, -(H + chin) / 2 - sh / 2 + 0.002, T / 2 - depth / 2], [W / 2 * rng.uniform(0.7, 1.0), sh / 2, depth / 2],
                         part="speaker"))
    return parts, back


def foot(rng, w, d, kind=None):
    """A foot on the floor centred under the origin. Returns (parts, top height)."""
    kind = rng.choice(["rect", "oval", "disc", "v", "plate"]) if kind is None else kind
    th = rng.uniform(0.008, 0.03)
    if kind == "rect":
        o = rounded_rect(w, d, rng.uniform(0.0, min(w, d) / 2), 3)
        return [Convex(np.concatenate([np.c_[o[:, 0], np.zeros(len(o)), o[:, 1]], np.c_[o[:, 0] * 0.95, np.full(len(o), th), o[:, 1] * 0.95]]),
                       "stand")], th
    if kind in ("oval", "disc"):
        a = 2 * np.pi * np.arange(16) / 16
        dd = w if kind == "disc" else d
        pts = np.c_[w / 2 * np.cos(a), dd / 2 * np.sin(a)]
        return [Convex(np.concatenate([np.c_[pts[:, 0], np.zeros(16), pts[:, 1]], np.c_[pts[:, 0] * 0.9, np.full(16, th), pts[:, 1] * 0.9]]),
                       "stand")], th
    if kind == "v":  # two legs splayed forward from the neck's root
        t = rng.uniform(0.015, 0.035)
        parts = [bar([0, t / 2, -d * 0.3], [sx * w / 2, t / 2, d / 2], t, "stand") for sx in (-1, 1)]
        return parts + [box([0, t / 2, -d * 0.3], [t, t / 2, t], part="stand")], t
    # "plate": a thin plate, wide and shallow
    return [box([0, th / 2, 0], [w / 2, th / 2, d / 2], part="stand")], th


def back_at(parts, y, z_from, z_to):
    """The depth just inside the rearmost of `parts` on the line x = 0, height y, searched from z_from forward to
    z_to: where a neck or a post meets the back of a panel (its housing may not reach every height)."""
    z = np.linspace(z_from, z_to, 400)
    pts = np.stack([np.zeros_like(z), np.full_like(z, y), z], 1)
    inside = np.any([p.contains(pts, margin=1e-4) for p in parts], axis=0)
    return z[np.argmax(inside)] + 0.002 if inside.any() else z_to


def on_stand(rng, parts, back, W, H, T, tilt, lift, neck=None, foot_kind=None, z_foot=None):
    """The panel (parts around the origin) lifted so its bottom edge is `lift` above a foot, leaning back
    by `tilt`, held by a neck from the foot to the panel's back."""
    fw, fd = W * rng.uniform(0.25, 0.8), rng.uniform(0.12, 0.5) * W
    foot_kind = rng.choice(["rect", "oval", "disc", "v", "plate"]) if foot_kind is None else foot_kind
    fparts, fy = foot(rng, fw, fd, foot_kind)
    neck = rng.choice(["bar", "plate", "arm"]) if neck is None else neck
    R = rot_x(-tilt)
    yc = fy + lift - min((p.verts @ R.T)[:, 1].min() for p in parts)
    zc = rng.uniform(-0.4, 0.4) * fd if z_foot is None else z_foot
    out = fparts + placed(parts, R, [0, yc, zc])
    y_local = rng.uniform(-0.35, 0.2) * H
    attach = np.array([0, yc, zc]) + R @ [0, y_local, back_at(parts, y_local, back - 0.01, T / 2)]
    zlo, zhi = (min(p.verts[:, 2].min() for p in fparts), max(p.verts[:, 2].max() for p in fparts))
    reach = (lambda z: -0.3 * fd) if foot_kind == "v" else (lambda z: np.clip(z, zlo * 0.8, zhi * 0.8))  # where the foot is solid
    root = np.array([0, fy - 0.003, reach(attach[2] - rng.uniform(0.0, 0.25) * fd)])
    nt = rng.uniform(0.02, 0.05)
    if neck == "bar":
        out.append(bar(root, attach, nt, "stand", round_=rng.random() < 0.5))
    elif neck == "plate":
        nw = rng.uniform(0.05, 0.2) * W
        out.append(Convex([[sx * nw / 2 * s, p[1], p[2] + sz * nt * 0.25] for sx in (-1, 1) for sz in (-1, 1)
                           for p, s in ((root, rng.uniform(0.8, 1.5)), (attach, 1.0))], "stand"))
    else:  # an arm: up behind the panel, then forward to its back
        root = np.array([0, fy - 0.003, reach(attach[2] - rng.uniform(0.05, 0.2) * W)])
        elbow = np.array([0, attach[1] + rng.uniform(-0.1, 0.15) * H, root[2]])
        out += [bar(root, elbow, nt, "stand", round_=True), bar(elbow, attach, nt * 0.8, "stand", round_=True)]
    return out


def _dims(rng, w=(0.4, 0.9), t=(0.01, 0.05)):
    W = rng.uniform(*w)
    return W, W / rng.choice(ASPECTS, p=[0.4, 0.14, 0.14, 0.08, 0.1, 0.06, 0.08]) * rng.uniform(0.9, 1.1), rng.uniform(*t)


# ---------------------------------------------------------------------------------------------------
# Families.
# ---------------------------------------------------------------------------------------------------
def monitor(rng):
    """A flat panel on a neck and a foot, upright or leaning back, high or low above it."""
    W, H, T = _dims(rng)
    if rng.random() < 0.15:  # turned to portrait
        W, H = H, W
    parts, back = panel(rng, W, H, T)
    return on_stand(rng, parts, back, W, H, T, rng.uniform(-0.15, 0.45), rng.uniform(0.0, 0.8) * H)


def tv_feet(rng):
    """A wide TV (thin, or thick with a housing; often with speakers) on two feet at its ends or a pedestal."""
    W, H, T = _dims(rng, w=(0.8, 1.6), t=(0.01, 0.1))
    parts, back = panel(rng, W, H, T, bezel=rng.uniform(0.005, 0.05) * H, speakers=True)
    kind = rng.random()
    if kind < 0.3:
        return on_stand(rng, parts, back, W, H, T, rng.uniform(0.0, 0.12), rng.uniform(0.0, 0.3) * H,
                        neck=rng.choice(["plate", "bar"]), foot_kind=rng.choice(["rect", "plate", "oval"]))
    if kind < 0.5:  # a floor stand: a tall post (or two) on a wide base, sometimes with a shelf
        lift = rng.uniform(0.6, 1.6) * H
        out = placed(parts, rot_x(-rng.uniform(-0.1, 0.1)), [0, lift + H / 2, 0])
        bw, bd = W * rng.uniform(0.4, 0.9), W * rng.uniform(0.2, 0.45)
        pt = rng.uniform(0.03, 0.07)
        zp = -T / 2 - 0.4 * pt  # the posts touch the panel's back face (through its housing, if any)
        out.append(box([0, 0.02, zp], [bw / 2, 0.02, bd / 2], part="stand"))
        posts = (0.0,) if rng.random() < 0.5 else (-W * 0.2, W * 0.2)
        for x in posts:
            out.append(bar([x, 0.0, zp], [x, lift + H * 0.7, zp], pt, "stand"))
        if rng.random() < 0.5:  # a shelf on the posts
            out.append(box([0, lift * rng.uniform(0.3, 0.7), zp], [W * 0.25, 0.01, W * 0.12], part="stand"))
        return out
    lift = rng.uniform(0.0, 0.35) * H
    low = min(p.verts[:, 1].min() for p in parts)
    out = placed(parts, np.eye(3), [0, lift - low, 0])
    base = lift - low - H / 2  # the panel's bottom edge (above a speaker bar under it)
    span = rng.uniform(0.4, 0.95) * W
    d = rng.uniform(0.15, 0.5) * H
    t = rng.uniform(0.01, 0.04)
    style = rng.choice(["blade", "v", "block"])
    for sx in (-1, 1):
        x = sx * span / 2
        if style == "blade":  # a thin slanted blade from the panel's back down to the floor
            out.append(Convex([[x + dx, y, z] for dx in (-t / 2, t / 2) for y, z in
                               ((0, -d / 2), (0, d / 2), (base + 0.05 * H, 0.0), (base + 0.12 * H, -T / 2))], "stand"))
        elif style == "v":
            top = [x, base + 0.1 * H, -T / 4]
            out += [bar([x - sx * 0.03, t / 2, -d / 2], top, t, "stand"), bar([x - sx * 0.03, t / 2, d / 2], top, t, "stand")]
        else:
            out.append(box([x, (base + 0.03 * H) / 2, 0], [rng.uniform(0.02, 0.08), (base + 0.03 * H) / 2, d / 2], part="stand"))
    return out


def crt(rng):
    """A deep box tapering towards its back: CRT monitors and TVs, on a swivel base, a chin or nothing."""
    W = rng.uniform(0.35, 0.7)
    H = W / rng.choice([4 / 3, 5 / 4, 1.2, 16 / 10]) * rng.uniform(0.95, 1.15)
    f = rng.uniform(0.03, 0.12) * W
    D = rng.uniform(0.4, 1.3) * W
    chin = rng.uniform(0.1, 0.3) * H if rng.random() < 0.3 else 0.0
    bez = rng.uniform(0.04, 0.12) * W
    parts = [box([0, 0, -f / 2], [W / 2, (H + chin) / 2, f / 2], part="frame")]
    parts.append(box([0, chin / 2, 0.001], [W / 2 - bez, H / 2 - bez, 0.004], part="screen"))
    kw, kh = rng.uniform(0.3, 0.8), rng.uniform(0.3, 0.8)
    dy = rng.uniform(-0.1, 0.2) * H
    step = rng.random() < 0.5
    mid = rng.uniform(0.2, 0.5)
    z1 = -f - D * (mid if step else 0)
    if step:  # a box section before the taper
        parts.append(box([0, 0, (-f + 0.005 + z1) / 2], [W / 2 * 0.97, (H + chin) / 2 * 0.97, (f - 0.005 - z1) / 2 + 0.002], part="frame"))
        kw0, kh0 = 0.97, 0.97
    else:
        kw0, kh0 = 0.98, 0.98
    parts.append(Convex([[sx * W / 2 * k1, y0 + sy * (H + chin) / 2 * k2, z] for sx in (-1, 1) for sy in (-1, 1)
                         for z, k1, k2, y0 in ((z1 + 0.005, kw0, kh0, 0.0), (-f - D, kw, kh, dy))], "frame"))
    if rng.random() < 0.25:  # speaker grilles at the sides (a TV set)
        sw = rng.uniform(0.08, 0.2) * W
        for sx in (-1, 1):
            parts.append(box([sx * (W / 2 + sw / 2 - 0.002), 0.0, -f * 0.6], [sw / 2, (H + chin) / 2, f * 0.6], part="speaker"))
    if rng.random() < 0.45:  # a swivel base, the tube tilted up on it
        parts = placed(parts, rot_x(-rng.uniform(-0.05, 0.25)), [0, 0, 0])
        floor = min(p.verts[:, 1].min() for p in parts) - rng.uniform(0.03, 0.15) * H
        zc = -f - D * rng.uniform(0.2, 0.45)
        top = under(parts, 0.0, zc)[0] + 0.005  # the tube's underside above the base
        parts.append(cylinder([0, (floor + top) / 2, zc], W * rng.uniform(0.2, 0.4), (top - floor) / 2, part="stand", sides=16))
    low = min(p.verts[:, 1].min() for p in parts)
    return placed(parts, np.eye(3), [0, -low, 0])


def all_in_one(rng):
    """A panel with a chin below the screen or a thick back, on a slanted plate, an easel leg, or an arm on a dome."""
    W, H, T = _dims(rng, w=(0.45, 0.75), t=(0.01, 0.05))
    chin = rng.uniform(0.0, 0.45) * H
    parts, back = panel(rng, W, H, T, chin=chin, bulge=rng.uniform(0.0, 0.45) * W if rng.random() < 0.6 else 0.0)
    parts = placed(parts, np.eye(3), [0, chin, 0])  # the chin's bottom edge is at y = -H / 2
    style = rng.choice(["plate", "easel", "dome"], p=[0.4, 0.35, 0.25])
    tilt = rng.uniform(-0.1, 0.5)
    R = rot_x(-tilt)
    th = rng.uniform(0.006, 0.02)
    pw = rng.uniform(0.2, 0.6) * W
    fd = rng.uniform(0.15, 0.45) * W
    if style == "dome":  # a hemisphere on the desk, an arm up to the panel's back
        r = rng.uniform(0.15, 0.3) * W
        from synthetic.lamps import sphere
        out = sphere([0, -r * 0.02, 0], r, "stand", squash=rng.uniform(0.5, 1.0))
        out = [Convex(p.verts, p.part) for p in out if p.verts[:, 1].max() > 0.005]
        top = max(p.verts[:, 1].max() for p in out)
        yc = top + rng.uniform(0.1, 0.6) * H + H / 2
        zc = rng.uniform(0.0, 0.3) * W
        out += placed(parts, R, [0, yc, zc])
        attach = np.array([0, yc, zc]) + R @ [0, 0, back_at(parts, 0.0, back - 0.01, T / 2)]
        out.append(bar([0, top - 0.01, 0], attach - [0, 0, 0.0], 0.02, "stand", round_=True))
        return out
    lift = rng.uniform(0.0, 0.4) * H
    yc = lift + H / 2
    out = placed(parts, R, [0, yc, 0])
    y_local = rng.uniform(-0.1, 0.2) * H
    attach = np.array([0, yc, 0]) + R @ [0, y_local, back_at(parts, y_local, back - 0.01, T / 2)]
    if style == "plate":  # a plate bent into an L: slanted up to the back, a foot plate forward
        foot_z = attach[2] - rng.uniform(0.1, 0.35) * W
        out.append(Convex([[sx * pw / 2, p[1], p[2] + dz] for sx in (-1, 1) for p in (attach, [0, 0, foot_z])
                           for dz in (-th / 2, th / 2)], "stand"))
        out.append(box([0, th / 2, foot_z + fd / 2 - 0.01], [pw / 2, th / 2, fd / 2], part="stand"))
    else:  # an easel leg from the back to the floor, the panel's bottom edge on a ledge
        foot_z = attach[2] - rng.uniform(0.15, 0.5) * H
        out.append(Convex([[sx * pw / 2 * s, p[1], p[2] + dz] for sx in (-1, 1) for p, s in ((attach, 1.0), ([0, 0, foot_z], 1.2))
                           for dz in (-th / 2, th / 2)], "stand"))
        low = min(p.verts[:, 1].min() for p in out)
        out.append(bar([0, 0.01, foot_z], [0, low + 0.01 if low > 0.02 else 0.02, 0], 0.02, "stand"))
    return out


def wall(rng):
    """A panel with no stand (a mount plate behind it), sometimes a sound bar below."""
    W, H, T = _dims(rng, w=(0.6, 1.6), t=(0.008, 0.08))
    parts, back = panel(rng, W, H, T, bulge=rng.uniform(0.0, 1.5) * T if rng.random() < 0.4 else 0.0)
    mw, mh = rng.uniform(0.1, 0.5) * W, rng.uniform(0.1, 0.5) * H
    md = rng.uniform(0.005, 0.05)
    parts.append(box([0, 0, back - md / 2 + 0.002], [mw / 2, mh / 2, md / 2], part="stand"))
    if rng.random() < 0.4:  # on an arm out from a wall plate, tilted down
        out = placed(parts, rot_x(rng.uniform(0.0, 0.3)), [0, 0, 0])
        reach = rng.uniform(0.1, 0.5) * W
        wz = back - md - reach
        out.append(box([0, 0, wz], [mw * 0.3, mh * 0.6, 0.01], part="stand"))
        for sx in (-1, 1):
            out += [bar([sx * mw * 0.2, 0, wz], [sx * mw * 0.35, -0.02, wz + reach * 0.5], 0.025, "stand"),
                    bar([sx * mw * 0.35, -0.02, wz + reach * 0.5], [sx * mw * 0.2, 0, back - md / 2], 0.025, "stand")]
        parts = out
    if rng.random() < 0.35:
        sh = rng.uniform(0.04, 0.1) * W / 1.2
        sw = W * rng.uniform(0.5, 1.0)
        gap = rng.uniform(0.0, 0.15) * H
        sd = sh / 2 * rng.uniform(0.8, 1.4)
        parts.append(box([0, -H / 2 - gap - sh / 2, -T / 2 + sd], [sw / 2, sh / 2, sd], part="speaker"))
        if gap > 0.003:  # a bracket from the panel down to the bar
            parts.append(box([0, -H / 2 - gap / 2, -T / 2 + 0.002], [0.02, gap / 2 + 0.005, 0.004], part="stand"))
    return placed(parts, np.eye(3), [0, H, 0])


def curved(rng):
    """A panel bent around a vertical axis, its edges towards the viewer, on a stand or its feet."""
    W, H, T = _dims(rng, w=(0.5, 1.3), t=(0.01, 0.04))
    bend = rng.uniform(0.25, 0.8)  # half the angle the panel spans
    radius = W / 2 / np.sin(bend)
    bez = rng.uniform(0.005, 0.04) * H

    def surface(z_off, w_scale, h_scale):
        def s(u, v):
            a = (2 * u - 1) * bend * w_scale
            return np.stack([radius * np.sin(a), (v - 0.5) * H * h_scale, radius * (1 - np.cos(a)) - radius * (1 - np.cos(bend)) + z_off], -1)
        return s

    parts = sheet(surface(0.0, 1.0, 1.0), 6, 1, T, "frame")
    parts += sheet(surface(T / 2 + 0.001, 1 - bez / W * 2, 1 - 2 * bez / H), 6, 1, 0.003, "screen")
    back = -T / 2
    # the panel's middle is at z = -radius (1 - cos bend) relative to its edges
    mid_z = -radius * (1 - np.cos(bend))
    parts.append(box([0, -0.05 * H, mid_z - T / 2 - 0.01], [W * 0.2, H * 0.32, 0.012], part="frame"))
    parts = placed(parts, np.eye(3), [0, 0, -mid_z])
    return on_stand(rng, parts, back - 0.02, W * 0.8, H, T, rng.uniform(-0.03, 0.15), rng.uniform(0.02, 0.3) * H,
                    neck=rng.choice(["bar", "plate", "arm"]), foot_kind=rng.choice(["v", "rect", "oval", "plate"]))


def multi(rng):
    """Two or three panels side by side on one pole and cross bar, the outer ones turned inwards."""
    n = int(rng.choice([2, 3]))
    W, H, T = _dims(rng, w=(0.35, 0.6), t=(0.01, 0.03))
    turn = rng.uniform(0.0, 0.7)
    fparts, fy = foot(rng, rng.uniform(0.2, 0.4), rng.uniform(0.15, 0.3), rng.choice(["rect", "disc", "plate"]))
    yc = fy + rng.uniform(0.05, 0.5) + H / 2
    out = fparts + [bar([0, fy - 0.003, -0.1], [0, yc, -0.1], rng.uniform(0.03, 0.05), "stand", round_=True)]
    xs = (np.arange(n) - (n - 1) / 2) * W * 1.02
    for x in xs:
        parts, back = panel(rng, W, H, T, bulge=0.01)
        a = -np.sign(x) * turn if abs(x) > 1e-6 else 0.0
        R = rot_y(a)
        centre = np.array([x * np.cos(abs(a)) ** 0.5, yc, abs(np.sin(a)) * W * 0.45])
        out += placed(parts, R, centre)
        out.append(bar([0, yc, -0.1], centre + R @ [0, 0, back + 0.005], 0.025, "stand"))
    return out


def console(rng):
    """A TV standing on its own low cabinet or shelf unit: the stand is most of the object's volume."""
    W, H, T = _dims(rng, w=(0.7, 1.4), t=(0.01, 0.06))
    cw = W * rng.uniform(0.8, 1.5)
    ch = rng.uniform(0.15, 1.1) * H
    cd = rng.uniform(0.25, 0.5) * W
    leg = rng.uniform(0.0, 0.3) * ch if rng.random() < 0.5 else 0.0
    if rng.random() < 0.5:
        out = [box([0, leg + ch / 2, 0], [cw / 2, ch / 2, cd / 2], part="stand")]
    else:  # an open shelf unit: top, bottom, sides, back and a shelf
        bt = rng.uniform(0.015, 0.04)
        out = [box([0, leg + ch - bt / 2, 0], [cw / 2, bt / 2, cd / 2], part="stand"),
               box([0, leg + bt / 2, 0], [cw / 2, bt / 2, cd / 2], part="stand"),
               box([0, leg + ch / 2, -cd / 2 + bt / 2], [cw / 2, ch / 2, bt / 2], part="stand")]
        out += [box([sx * (cw / 2 - bt / 2), leg + ch / 2, 0], [bt / 2, ch / 2, cd / 2], part="stand") for sx in (-1, 1)]
        if rng.random() < 0.6:
            out.append(box([0, leg + ch * rng.uniform(0.4, 0.6), 0], [cw / 2, bt / 2, cd / 2], part="stand"))
    if leg > 0.01:
        for sx in (-1, 1):
            for sz in (-1, 1):
                out.append(bar([sx * (cw / 2 - 0.03), 0, sz * (cd / 2 - 0.03)], [sx * (cw / 2 - 0.03), leg + 0.01, sz * (cd / 2 - 0.03)],
                               0.03, "stand"))
    if len(out) < 3 and rng.random() < 0.5:  # doors: a dark front inset
        out.append(box([0, leg + ch / 2, cd / 2 - 0.005], [cw / 2 - 0.03, ch / 2 - 0.03, 0.008], part="speaker"))
    top = leg + ch
    parts, back = panel(rng, W, H, T)
    if rng.random() < 0.5:  # on a pedestal foot
        lift = rng.uniform(0.03, 0.15) * H
        out += placed(parts, np.eye(3), [0, top + lift + H / 2, 0])
        out.append(box([0, top + lift / 2 + 0.05 * H, back * 0.6], [W * 0.12, lift / 2 + 0.05 * H, abs(back) * 0.6 + 0.02], part="stand"))
        out.append(box([0, top + 0.005, 0], [W * 0.2, 0.005, cd * 0.3], part="stand"))
    else:  # an old set: a CRT-deep box
        depth = rng.uniform(0.3, 0.9) * W
        out += placed(parts, np.eye(3), [0, top + H / 2, depth / 2 - T])
        out.append(Convex([[sx * W / 2 * k, top + H / 2 * k + sy * H / 2 * k, z] for sx in (-1, 1) for sy in (-1, 1)
                           for z, k in ((depth / 2 - T + 0.002, 0.98), (-depth / 2, rng.uniform(0.4, 0.9)))], "frame"))
    return out


def retro(rng):
    """A TV set in a cabinet (square or rounded, its tube's back bulging out behind or not) with a speaker grille
    beside or below the screen, on splayed legs or on its bottom."""
    W = rng.uniform(0.5, 1.0)
    H = W * rng.uniform(0.55, 1.1)
    D = W * rng.uniform(0.25, 0.8)
    legs = rng.uniform(0.1, 0.8) * H if rng.random() < 0.6 else 0.0
    corner = rng.uniform(0.0, 0.45) * H if rng.random() < 0.5 else 0.0
    o = rounded_rect(W, H, corner, 4)
    out = [plate(o + [0, legs + H / 2], -D / 2, D / 2, "frame")]
    if rng.random() < 0.5:  # the tube's back bulging out of the cabinet
        bd, k = W * rng.uniform(0.2, 0.6), rng.uniform(0.3, 0.7)
        out.append(Convex([[sx * W / 2 * s, legs + H / 2 + sy * H / 2 * s, z] for sx in (-1, 1) for sy in (-1, 1)
                           for z, s in ((-D / 2 + 0.01, 0.8), (-D / 2 - bd, 0.8 * k))], "frame"))
    side = rng.random() < 0.5
    sw = W * (0.62 if side else 0.9)
    sh = H * (0.8 if side else 0.6)
    sx0 = -W * 0.17 if side else 0.0
    sy0 = legs + H * (0.5 if side else 0.62)
    out.append(box([sx0, sy0, D / 2], [sw / 2 * 0.95, sh / 2, 0.006], part="screen"))
    if side:
        out.append(box([W * 0.33, legs + H * 0.5, D / 2], [W * 0.12, H * 0.35, 0.005], part="speaker"))
    else:
        out.append(box([0, legs + H * 0.15, D / 2], [W * 0.4, H * 0.09, 0.005], part="speaker"))
    if legs > 0:
        splay = rng.uniform(0.0, 0.12)
        for sx in (-1, 1):
            for sz in (-1, 1):
                top = np.array([sx * (W / 2 - max(0.05, corner)), legs + 0.01, sz * (D / 2 - 0.05)])
                out.append(bar(top * [1, 0, 1] + [sx * splay, 0, sz * splay], top, rng.uniform(0.025, 0.05), "stand", round_=True))
    if rng.random() < 0.3:  # rabbit-ear antenna
        for sx in (-1, 1):
            out.append(bar([0, legs + H - 0.01, 0], [sx * W * 0.35, legs + H + W * rng.uniform(0.3, 0.6), -D * 0.1], 0.008, "stand",
                           round_=True))
    return out


def desktop(rng):
    """A monitor (flat or CRT) with what sits in front of and beside it: a keyboard, a mouse, speakers, a tower."""
    crt_set = rng.random() < 0.3
    parts = crt(rng) if crt_set else monitor(rng)
    verts = np.concatenate([p.verts for p in parts])
    lo, hi = verts.min(0), verts.max(0)
    W = hi[0] - lo[0]
    kw, kd = W * rng.uniform(0.6, 1.1), W * rng.uniform(0.15, 0.3)
    kz = hi[2] + rng.uniform(0.0, 0.3) * W + kd / 2
    kt = rng.uniform(0.01, 0.03)
    out = parts + [Convex([[sx * kw / 2, y, kz + sz * kd / 2] for sx in (-1, 1) for sz in (-1, 1)
                           for y in (0.0, kt * (1.0 if sz > 0 else rng.uniform(1.0, 2.0)))], "stand")]
    out.append(box([0, kt + 0.002, kz], [kw / 2 * 0.92, 0.004, kd / 2 * 0.8], part="screen"))  # the keys
    if rng.random() < 0.6:  # a mouse
        out.append(box([kw / 2 + 0.028, 0.012, kz], [0.03, 0.012, 0.05], part="stand"))
    # the monitor and the keyboard sit on one desk mat, so they are one piece: it runs from under the
    # monitor's lowest part (its foot or its body) to under the keyboard
    low = min(parts, key=lambda p: p.verts[:, 1].min())
    fx, fz = low.verts[:, [0, 2]].mean(0)
    out.append(box([fx / 2, 0.002, (fz + kz) / 2], [max(abs(fx) / 2, min(W, kw) / 4), 0.002, (kz - fz) / 2 + 0.02], part="stand"))
    if rng.random() < 0.4:  # speakers either side
        sh, sw = W * rng.uniform(0.2, 0.5), W * rng.uniform(0.08, 0.15)
        for sx in (-1, 1):
            x = sx * (W / 2 + sw / 2 + rng.uniform(0.02, 0.1))
            out.append(box([x, sh / 2, fz], [sw / 2, sh / 2, sw * 0.6], part="speaker"))
            out.append(box([(x + fx) / 2, 0.002, fz], [abs(x - fx) / 2 + 0.01, 0.002, 0.01], part="stand"))  # a cable
    if rng.random() < 0.3:  # a tower beside it
        th, tw, td = W * rng.uniform(0.6, 1.0), W * rng.uniform(0.15, 0.3), W * rng.uniform(0.4, 0.8)
        x = rng.choice([-1, 1]) * (W / 2 + tw / 2 + rng.uniform(0.05, 0.2))
        out.append(box([x, th / 2, fz], [tw / 2, th / 2, td / 2], part="frame"))
        out.append(box([(x + fx) / 2, 0.002, fz], [abs(x - fx) / 2, 0.002, 0.01], part="stand"))
    return out


BUILDERS = {"monitor": monitor, "tv_feet": tv_feet, "crt": crt, "all_in_one": all_in_one, "wall": wall, "curved": curved,
            "multi": multi, "console": console, "retro": retro, "desktop": desktop}
assert tuple(BUILDERS) == FAMILIES


def _colours(rng):
    """Per-part RGB and (shininess, specular): black, grey, silver, white or beige plastic or metal; the screen
    dark and glossy."""
    kind = rng.choice(["black", "grey", "silver", "white", "beige", "colour"], p=[0.4, 0.15, 0.15, 0.12, 0.1, 0.08])
    frame = {"black": (0.05, 0.05, 0.06), "grey": (0.3, 0.3, 0.32), "silver": (0.72, 0.73, 0.75), "white": (0.92, 0.92, 0.9),
             "beige": hsv(0.12, 0.15, 0.82), "colour": hsv(rng.uniform(0, 1), rng.uniform(0.3, 0.8), rng.uniform(0.3, 0.9))}[kind]
    stand = frame if rng.random() < 0.6 else ((0.7, 0.7, 0.72) if rng.random() < 0.5 else (0.08, 0.08, 0.08))
    screen = hsv(rng.uniform(0.55, 0.7), rng.uniform(0.0, 0.5), rng.uniform(0.02, 0.25))
    colours = {"frame": frame, "stand": stand, "screen": screen, "speaker": (0.1, 0.1, 0.1) if rng.random() < 0.6 else frame}
    return colours, (float(rng.uniform(30, 120)), float(rng.uniform(0.3, 0.7)))


def make(seed, index):
    """(family, parts, colours per part, material) of display `index`, a pure function of (seed, index).

    After its family builds it, the display is stretched by an independent factor per axis (most in depth,
    the least constrained by the screen's standard aspect ratios), often leaned forward or back (a shear:
    a panel's position in depth is what a front view shows least) and set on y = 0."""
    rng = np.random.default_rng([seed, index, SYNSET])
    family = FAMILIES[rng.choice(len(FAMILIES), p=FAMILY_WEIGHTS)]
    parts = BUILDERS[family](rng)
    stretch = np.diag(np.exp(rng.uniform([-0.35, -0.35, -0.5], [0.35, 0.35, 0.6])))
    shear = np.eye(3)
    shear[2, 1] = rng.uniform(-0.2, 0.2) if rng.random() < 0.6 else 0.0  # z += k * y: a lean
    parts = [p.transformed(shear @ stretch) for p in parts]
    low = min(p.verts[:, 1].min() for p in parts)
    parts = [Convex(p.verts - [0, low, 0], p.part) for p in parts]
    colours, material = _colours(rng)
    return family, parts, colours, material
