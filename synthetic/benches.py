"""Procedural benches (ShapeNet synset 02828884): the families, their parts and proportions (geometry only, numpy).

A bench is a list of closed convex parts (synthetic/primitives.py) in raw units (about metres), +y up, the sitting
side towards +z, long along x, in the chairs' frame (synthetic/chairs.py). ShapeNet's benches run from a bare
plank on two legs to a park bench with a slatted back and cast sides, a picnic table with its two seats, an
upholstered bed-end bench or a storage chest with a cushion; a one-view reconstruction has to tell whether
there is a back, arms, a table, a box under the seat or open legs, and how long and deep the seat is. Slatted
seats and backs, open frames and lower shelves give the through-holes real benches have.

The families: park (slats, cast side frames, often arms), flat (a plank or slab on legs or panel ends),
picnic (a table with two attached seats), storage (a chest or cubbies under a cushion), upholstered (a padded
top on legs), garden (a wooden bench with a panel or slatted back and arms), stone (a thick slab on blocks),
beam (seats on a metal beam), entryway (a seat over shoe shelves) and backrest (a modern bench with a back on
a bent tube frame). Every axis is then stretched independently.
"""
import numpy as np

from synthetic.cabinets import block, case
from synthetic.chairs import four_legs, stretchers
from synthetic.primitives import Convex, bar, box, hsv, rot_x, rounded_rect, slab, tube

SYNSET = 2828884
FAMILIES = ("park", "flat", "picnic", "storage", "upholstered", "garden", "stone", "beam", "entryway", "backrest")
FAMILY_WEIGHTS = np.array([10, 10, 6, 6, 7, 7, 4, 3, 5, 5], float)
FAMILY_WEIGHTS /= FAMILY_WEIGHTS.sum()


def slats(w, z0, z1, y, t, n, gap, part="seat", tilt=0.0, pivot=None):
    """n boards along x, side by side from z0 to z1 at height y (their top), tilted about x by `tilt` around `pivot`."""
    parts = []
    width = (z1 - z0 - gap * (n - 1)) / n
    for k in range(n):
        zc = z0 + width / 2 + k * (width + gap)
        parts.append(box([0, y - t / 2, zc], [w / 2, t / 2, width / 2], part=part))
    if tilt:
        rot = rot_x(tilt)
        pivot = np.asarray(pivot, float)
        parts = [Convex((p.verts - pivot) @ rot.T + pivot, p.part) for p in parts]
    return parts


def slatted_back(rng, w, y0, z0, height, tilt, n, t, vertical=False):
    """A back of boards rising from (y0, z0), leaning back by `tilt`; horizontal boards or vertical spindles on two rails."""
    up = np.array([0, np.cos(tilt), -np.sin(tilt)])
    base = np.array([0, y0, z0])
    parts = []
    if vertical:
        for s in (0.1, 0.9):
            c = base + up * height * s
            parts.append(box(c, [w / 2, 0.03, t / 2], rot_x(-tilt), "back"))
        for k in range(n):
            x = (k + 0.5) / n * w - w / 2
            parts.append(box(base + up * height * 0.5 + [x, 0, 0], [w / n * 0.3, height * 0.48, t / 2 * 0.8], rot_x(-tilt), "back"))
        return parts
    hb = height / n * rng.uniform(0.5, 0.8)
    for k in range(n):
        c = base + up * (height * (k + 0.5) / n)
        parts.append(box(c, [w / 2, hb / 2, t / 2], rot_x(-tilt), "back"))
    return parts


def seat_frame_legs(rng, w, d, h, t, on, lt=None, style=None):
    legs, feet, tops, lt = four_legs(rng, w, d, on, t=lt or rng.uniform(0.03, 0.07), splay=rng.uniform(0, 0.06) if rng.random() < 0.3 else 0.0)
    return legs + stretchers(rng, feet, tops, lt, style or rng.choice(["none", "h", "box"])), feet, tops, lt


# ---------------------------------------------------------------------------------------------------
# Families.
# ---------------------------------------------------------------------------------------------------
def park(rng):
    """Slatted seat and back on two (or three) cast side frames: front leg, back leg rising into the back post, arm."""
    w, d, h = rng.uniform(1.2, 2.2), rng.uniform(0.4, 0.6), rng.uniform(0.4, 0.48)
    st = rng.uniform(0.02, 0.04)
    tilt = rng.uniform(0.1, 0.35)
    back_h = rng.uniform(0.35, 0.6)
    ft = rng.uniform(0.04, 0.08)
    n_frames = 3 if w > 1.8 and rng.random() < 0.6 else 2
    arms = rng.random() < 0.7
    parts = slats(w + 0.04, -d / 2, d / 2, h, st, int(rng.integers(3, 7)), rng.uniform(0.01, 0.03))
    zb = -d / 2 - 0.02
    parts += slatted_back(rng, w + 0.04, h + 0.03, zb + st, back_h, tilt, int(rng.integers(2, 5)), st,
                          vertical=rng.random() < 0.25)
    for k in range(n_frames):
        x = (k / (n_frames - 1) - 0.5) * (w - ft)
        f = [bar([x, 0, d / 2 - 0.02], [x, h - st, d / 2 - 0.05], ft), bar([x, 0, -d / 2 - 0.05], [x, h - st, -d / 2 + 0.02], ft),
             bar([x, h - st - ft / 2, d / 2], [x, h - st - ft / 2, -d / 2], ft),
             bar([x, h - st, zb], [x, h + back_h * np.cos(tilt), zb - back_h * np.sin(tilt)], ft)]
        parts += f
        if arms and k in (0, n_frames - 1):
            ah = h + rng.uniform(0.18, 0.28)
            parts += tube([[x, h - st, d / 2 - 0.04], [x, ah, d / 2 - 0.02], [x, ah, zb - (ah - h) * np.tan(tilt) * 0.9]], ft * 0.8)
    if rng.random() < 0.5:  # feet rails
        parts += [bar([(-0.5) * (w - ft), 0.02, z], [0.5 * (w - ft), 0.02, z], ft * 0.6) for z in (-d / 2 - 0.04, d / 2 - 0.03)]
    return parts


def flat(rng):
    """A plank, slab or slatted seat on legs, trestles or panel ends; no back."""
    w, d, h, t = rng.uniform(0.8, 2.2), rng.uniform(0.25, 0.5), rng.uniform(0.35, 0.5), rng.uniform(0.03, 0.08)
    if rng.random() < 0.3:
        parts = slats(w, -d / 2, d / 2, h, t, int(rng.integers(2, 5)), rng.uniform(0.01, 0.03))
        parts.append(block(-w / 2 + 0.1, -w / 2 + 0.16, h - t - 0.04, h - t + 0.002, -d / 2, d / 2))
        parts.append(block(w / 2 - 0.16, w / 2 - 0.1, h - t - 0.04, h - t + 0.002, -d / 2, d / 2))
    else:
        parts = [slab(rounded_rect(w, d, rng.uniform(0.0, 0.1)), h - t, h)]
    kind = rng.choice(["legs", "panels", "hairpin", "a_frame"])
    if kind == "legs":
        parts += seat_frame_legs(rng, w * rng.uniform(0.8, 1.0) if len(parts) == 1 else w - 0.23, d, h, t, parts, lt=0.05)[0]
    elif kind == "panels":
        pt = rng.uniform(0.03, 0.09)
        ins = rng.uniform(0.0, 0.25) * w
        for sx in (-1, 1):
            x = sx * (w / 2 - ins - pt / 2)
            parts.append(block(x - pt / 2, x + pt / 2, 0, h - t + 0.002, -d / 2 * rng.uniform(0.7, 1.0), d / 2))
        if rng.random() < 0.4:
            y = rng.uniform(0.1, 0.25)
            parts.append(block(-w / 2 + ins, w / 2 - ins, y, y + 0.03, -d / 2 * 0.8, d / 2 * 0.8, "frame"))
    elif kind == "hairpin":
        rt = rng.uniform(0.012, 0.02)
        for sx in (-1, 1):
            x = sx * (w / 2 - 0.1)
            parts += [bar([x, h - t + 0.005, -d / 2 + 0.05], [x, rt / 2, 0], rt, round_=True),
                      bar([x, rt / 2, 0], [x, h - t + 0.005, d / 2 - 0.05], rt, round_=True)]
    else:
        lt = rng.uniform(0.04, 0.07)
        for sx in (-1, 1):
            x = sx * (w / 2 - 0.12)
            parts += [bar([x, 0, -d / 2 - 0.05], [x, h - t + 0.005, -0.02], lt), bar([x, 0, d / 2 + 0.05], [x, h - t + 0.005, 0.02], lt)]
        parts.append(bar([-w / 2 + 0.12, h * 0.35, 0], [w / 2 - 0.12, h * 0.35, 0], lt * 0.8))
    return parts


def picnic(rng):
    """A table with a seat plank on each side, on A-frames or straight legs joined by cross rails."""
    w, td, th = rng.uniform(1.2, 2.4), rng.uniform(0.6, 0.9), rng.uniform(0.7, 0.78)
    sh, sd = rng.uniform(0.4, 0.47), rng.uniform(0.22, 0.35)
    reach = td / 2 + rng.uniform(0.2, 0.35)
    t = rng.uniform(0.03, 0.05)
    n = int(rng.integers(3, 7))
    parts = slats(w, -td / 2, td / 2, th, t, n, rng.uniform(0.005, 0.02), part="top")
    for sz in (-1, 1):
        zc = sz * reach
        parts += slats(w * rng.uniform(0.95, 1.0), zc - sd / 2, zc + sd / 2, sh, t, int(rng.integers(1, 3)), 0.01)
    lt = rng.uniform(0.05, 0.09)
    for sx in (-1, 1):
        x = sx * (w / 2 - rng.uniform(0.15, 0.3))
        parts.append(block(x - lt / 2, x + lt / 2, sh - t - 0.08, sh - t + 0.002, -reach - sd / 2, reach + sd / 2, "frame"))
        parts.append(block(x - lt / 2, x + lt / 2, th - t - 0.06, th - t + 0.002, -td / 2, td / 2, "frame"))
        if rng.random() < 0.7:  # A-frame
            for sz in (-1, 1):
                parts.append(bar([x, 0, sz * (reach - sd * 0.2)], [x, th - t, sz * td * 0.15], lt))
        else:
            for sz in (-1, 1):
                parts.append(bar([x, 0, sz * td * 0.3], [x, th - t, sz * td * 0.3], lt))
    return parts


def storage(rng):
    """A chest, drawers or open cubbies under a seat, often a cushion and sometimes a back."""
    w, d, h = rng.uniform(0.8, 1.6), rng.uniform(0.35, 0.5), rng.uniform(0.4, 0.5)
    cush = rng.uniform(0.04, 0.1) if rng.random() < 0.6 else 0.0
    n = int(rng.integers(1, 4))
    kind = rng.choice(["chest", "drawer", "shelves1", "shelves2", "door"])
    cols = [(1.0, [(1.0, "door" if kind == "chest" else kind)]) for _ in range(n)]
    base_h = rng.uniform(0.0, 0.12) if rng.random() < 0.5 else 0.0
    body = case(rng, w, d, base_h, h - cush - base_h, 0.02, cols if kind != "chest" else [(1.0, [(1.0, "open")])], "knob",
                back=True, top_over=(rng.uniform(0, 0.03), rng.uniform(0, 0.03), 0.0))
    if kind == "chest":  # a closed box
        body.append(block(-w / 2, w / 2, base_h, h - cush, d / 2 - 0.02, d / 2))
    parts = body
    if base_h:
        parts += four_legs(rng, w, d, [body[3]], t=rng.uniform(0.03, 0.05), splay=0.0)[0]
    if cush:
        parts.append(slab(rounded_rect(w * 0.98, d * 0.98, 0.04), h - cush - 0.003, h, part="seat"))
    if rng.random() < 0.35:  # a back panel
        parts.append(block(-w / 2, w / 2, h - cush, h + rng.uniform(0.3, 0.5), -d / 2, -d / 2 + rng.uniform(0.03, 0.1), "back"))
    return parts


def upholstered(rng):
    """A padded top on legs: a bed-end or piano bench, a long ottoman."""
    w, d, h = rng.uniform(0.6, 1.6), rng.uniform(0.3, 0.55), rng.uniform(0.4, 0.52)
    pad = rng.uniform(0.06, 0.2)
    parts = [slab(rounded_rect(w, d, rng.uniform(0.01, 0.08)), h - pad, h, part="seat")]
    kind = rng.choice(["legs", "x", "skirt"])
    if kind == "legs":
        legs, feet, tops, lt = four_legs(rng, w, d, parts, t=rng.uniform(0.03, 0.06), splay=rng.uniform(0, 0.05))
        parts += legs + stretchers(rng, feet, tops, lt, rng.choice(["none", "box", "h"]))
    elif kind == "x":  # crossed legs at each end
        lt = rng.uniform(0.025, 0.045)
        for sx in (-1, 1):
            x = sx * (w / 2 - 0.05)
            parts += [bar([x, 0, -d / 2 + 0.03], [x, h - pad + 0.01, d / 2 - 0.03], lt), bar([x, 0, d / 2 - 0.03], [x, h - pad + 0.01, -d / 2 + 0.03], lt)]
        parts.append(bar([-w / 2 + 0.05, h * 0.45, 0], [w / 2 - 0.05, h * 0.45, 0], lt))
    else:  # a skirt down to short feet
        f = rng.uniform(0.03, 0.1)
        parts.append(block(-w / 2 + 0.01, w / 2 - 0.01, f, h - pad + 0.005, -d / 2 + 0.01, d / 2 - 0.01, "seat"))
        parts += [block(sx * (w / 2 - 0.05) - 0.025, sx * (w / 2 - 0.05) + 0.025, 0, f + 0.005, sz * (d / 2 - 0.05) - 0.025,
                        sz * (d / 2 - 0.05) + 0.025) for sx in (-1, 1) for sz in (-1, 1)]
    if rng.random() < 0.3:  # a lower shelf
        y = rng.uniform(0.1, 0.2)
        parts.append(block(-w / 2 + 0.03, w / 2 - 0.03, y, y + 0.025, -d / 2 + 0.03, d / 2 - 0.03, "frame"))
    return parts


def garden(rng):
    """A wooden bench: legs, a seat of boards, a back of boards or a panel, arms on posts."""
    w, d, h = rng.uniform(1.0, 1.9), rng.uniform(0.45, 0.65), rng.uniform(0.4, 0.48)
    t = rng.uniform(0.03, 0.05)
    parts = slats(w, -d / 2, d / 2, h, t, int(rng.integers(3, 7)), rng.uniform(0.005, 0.02))
    lt = rng.uniform(0.05, 0.09)
    back_h = rng.uniform(0.4, 0.65)
    tilt = rng.uniform(0.0, 0.25)
    arms = rng.random() < 0.75
    ay = h + rng.uniform(0.18, 0.28)
    for sx in (-1, 1):
        x = sx * (w / 2 + lt / 2 - 0.01)
        parts.append(bar([x, 0, d / 2 - lt / 2], [x, ay + 0.005 if arms else h, d / 2 - lt / 2], lt))  # front leg, arm post
        parts.append(bar([x, 0, -d / 2 + lt / 2], [x, h + back_h, -d / 2 + lt / 2 - back_h * np.sin(tilt)], lt))  # back leg, back post
        parts.append(block(x - lt / 2, x + lt / 2, h - t - 0.06, h - t + 0.002, -d / 2, d / 2))  # seat rail
        if arms:
            parts.append(block(x - lt * 0.8, x + lt * 0.8, ay, ay + 0.03, -d / 2 - ay * 0.0 - (ay - h) * np.sin(tilt), d / 2 + 0.05, "back"))
    if rng.random() < 0.3:
        parts.append(box([0, h + 0.05 + back_h * 0.45 * np.cos(tilt), -d / 2 + lt / 2 - back_h * 0.45 * np.sin(tilt)], [w / 2 + 0.01, back_h * 0.45, 0.015],
                         rot_x(-tilt), "back"))
    else:
        parts += slatted_back(rng, w, h + 0.05, -d / 2 + lt / 2, back_h * 0.9, tilt, int(rng.integers(2, 5)), 0.025,
                              vertical=rng.random() < 0.4)
    for sx in (-1, 1):  # an H of stretchers
        x = sx * (w / 2 + lt / 2 - 0.01)
        parts.append(bar([x, 0.1, -d / 2 + lt / 2], [x, 0.1, d / 2 - lt / 2], lt * 0.7))
    parts.append(bar([-w / 2 - lt / 2, 0.1, 0], [w / 2 + lt / 2, 0.1, 0], lt * 0.7))
    return parts


def stone(rng):
    """A thick slab on two or three blocks, sometimes a block back."""
    w, d, h = rng.uniform(1.0, 2.4), rng.uniform(0.35, 0.6), rng.uniform(0.4, 0.5)
    t = rng.uniform(0.08, 0.15)
    parts = [block(-w / 2, w / 2, h - t, h, -d / 2, d / 2, "seat")]
    n = 3 if w > 1.8 and rng.random() < 0.5 else 2
    bw = rng.uniform(0.1, 0.35)
    bd = d * rng.uniform(0.6, 1.0)
    for k in range(n):
        x = (k / (n - 1) - 0.5) * (w - bw - 2 * rng.uniform(0.0, 0.2) * w)
        parts.append(block(x - bw / 2, x + bw / 2, 0, h - t + 0.002, -bd / 2, bd / 2))
    if rng.random() < 0.3:
        parts.append(block(-w / 2, w / 2, h - 0.01, h + rng.uniform(0.3, 0.5), -d / 2, -d / 2 + rng.uniform(0.08, 0.15), "back"))
    return parts


def beam(rng):
    """Moulded seats on a metal beam on two or three legs (waiting rooms, stadia)."""
    n = int(rng.integers(2, 6))
    sw = rng.uniform(0.45, 0.6)
    w = n * sw
    h, d = rng.uniform(0.42, 0.48), rng.uniform(0.4, 0.5)
    parts = [block(-w / 2, w / 2, h - 0.12, h - 0.06, -0.06, 0.0)]
    back = rng.random() < 0.8
    for k in range(n):
        x = -w / 2 + sw * (k + 0.5)
        parts.append(block(x - sw / 2 + 0.02, x + sw / 2 - 0.02, h - 0.065, h, -d / 2, d / 2, "seat"))
        if back:
            parts.append(box([x, h + 0.25, -d / 2 - 0.02], [sw / 2 - 0.02, 0.22, 0.02], rot_x(-0.15), "back"))
            parts.append(bar([x, h - 0.07, -0.03], [x, h + 0.1, -d / 2 - 0.02], 0.04))
    for x in np.linspace(-w / 2 + 0.2, w / 2 - 0.2, 3 if n > 3 else 2):
        parts += [bar([x, 0, 0.0], [x, h - 0.08, -0.03], 0.05), block(x - 0.04, x + 0.04, 0, 0.03, -d / 2, d / 2)]
    return parts


def entryway(rng):
    """A seat over one or two open shelves (for shoes): panel ends or a frame of legs."""
    w, d, h = rng.uniform(0.6, 1.3), rng.uniform(0.28, 0.4), rng.uniform(0.42, 0.52)
    t = rng.uniform(0.02, 0.04)
    n = int(rng.integers(1, 3))
    if rng.random() < 0.5:
        cols = [(1.0, [(1.0, "shelves" + str(n + 1))]) for _ in range(int(rng.integers(1, 4)))]
        parts = case(rng, w, d, 0.0, h, t, cols, "none", back=rng.random() < 0.4)
    else:
        parts = [block(-w / 2, w / 2, h - t, h, -d / 2, d / 2, "seat")]
        legs, feet, tops, lt = four_legs(rng, w, d, parts, t=rng.uniform(0.025, 0.045), splay=0.0, taper=1.0)
        parts += legs
        for k in range(n):
            y = 0.06 + k * (h - 0.1) / (n + 0.5)
            parts += slats(w - 0.01, -d / 2 + 0.01, d / 2 - 0.01, y + 0.02, 0.02, int(rng.integers(1, 4)), 0.02, part="frame")
            parts += [block(sx * (w / 2 - lt), sx * (w / 2 - 2 * lt), y - 0.02, y + 0.001, -d / 2, d / 2) for sx in (-1, 1)]
    if rng.random() < 0.4:
        parts.append(slab(rounded_rect(w, d, 0.03), h - 0.002, h + rng.uniform(0.04, 0.08), part="seat"))
    return parts


def backrest(rng):
    """A modern bench: seat and back (flat or a cushion) on a bent tube frame or sled legs."""
    w, d, h = rng.uniform(1.0, 2.0), rng.uniform(0.4, 0.6), rng.uniform(0.4, 0.46)
    t = rng.uniform(0.03, 0.08)
    parts = [slab(rounded_rect(w, d, rng.uniform(0.01, 0.08)), h - t, h, part="seat")]
    tt = rng.uniform(0.025, 0.04)
    tilt = rng.uniform(0.05, 0.3)
    back_h = rng.uniform(0.3, 0.5)
    zb = -d / 2 + 0.02
    top = [0, h + back_h * np.cos(tilt), zb - back_h * np.sin(tilt)]
    for sx in (-1, 1):
        x = sx * (w / 2 - rng.uniform(0.05, 0.2))
        parts += tube([[x, h - t, d / 2 - 0.05], [x, tt / 2, d / 2 - 0.02], [x, tt / 2, zb], [x, h - t, zb], [x, top[1], top[2]]], tt,
                      round_=rng.random() < 0.6)
    parts.append(box([0, h + back_h * 0.6 * np.cos(tilt), zb - back_h * 0.6 * np.sin(tilt)],
                     [w / 2, back_h * rng.uniform(0.25, 0.42), rng.uniform(0.015, 0.05)], rot_x(-tilt), "back"))
    return parts


BUILDERS = {"park": park, "flat": flat, "picnic": picnic, "storage": storage, "upholstered": upholstered, "garden": garden,
            "stone": stone, "beam": beam, "entryway": entryway, "backrest": backrest}
assert tuple(BUILDERS) == FAMILIES


def _colours(rng):
    """Frame, seat, back, top and fronts: wood, painted metal, stone, fabric."""
    material = rng.choice(["wood", "metal", "stone", "fabric"], p=[0.45, 0.25, 0.1, 0.2])
    wood = hsv(rng.uniform(0.05, 0.1), rng.uniform(0.4, 0.8), rng.uniform(0.35, 0.8))
    if material == "metal":
        frame = hsv(rng.uniform(0, 1), rng.uniform(0.0, 0.5), rng.uniform(0.15, 0.7))
    elif material == "stone":
        g = rng.uniform(0.5, 0.8)
        frame = wood = (g, g, g * 0.97)
    else:
        frame = wood
    seat_c = wood if material != "fabric" else hsv(rng.uniform(0, 1), rng.uniform(0.2, 0.8), rng.uniform(0.35, 0.9))
    g = rng.uniform(0.2, 0.8)
    colours = {"frame": frame, "seat": seat_c, "back": seat_c if rng.random() < 0.7 else frame, "top": wood,
               "front": frame if rng.random() < 0.6 else seat_c, "glass": hsv(0.5, 0.12, 0.8), "handle": (g, g, g)}
    shininess = {"wood": 10.0, "metal": 80.0, "stone": 5.0, "fabric": 2.0}[material] * rng.uniform(0.7, 1.3)
    specular = {"wood": 0.15, "metal": 0.6, "stone": 0.05, "fabric": 0.03}[material]
    return colours, (float(shininess), float(specular))


def make(seed, index):
    """(family, parts, colours per part, material) of bench `index`, a pure function of (seed, index).

    Each axis is stretched independently after the family builds it (up to 1.8 along x, 1.4 in height, 1.7 in depth), so no two benches share
    their proportions."""
    rng = np.random.default_rng([seed, index, SYNSET])
    family = FAMILIES[rng.choice(len(FAMILIES), p=FAMILY_WEIGHTS)]
    parts = BUILDERS[family](rng)
    stretch = np.diag(np.exp(rng.uniform(-1, 1, 3) * [0.6, 0.35, 0.55]))
    parts = [p.transformed(stretch) for p in parts]
    floor = min(p.verts[:, 1].min() for p in parts)  # stand on y = 0 (bent feet and tubes reach a little below)
    parts = [Convex(p.verts - [0, floor, 0], p.part) for p in parts]
    colours, material = _colours(rng)
    return family, parts, colours, material
