"""Procedural rifles (ShapeNet synset 04090263): the families, their parts and proportions (numpy only).

A rifle is a list of closed convex parts (synthetic/primitives.py) in raw units (about metres), +y up, the
barrel along z with the muzzle towards +z, sights on top, as the chairs are. Every long gun is a thin
stick, so once it is normalised what a one-view reconstruction has to get right is what hangs off that
stick and how long each piece is: the barrel's share of the length, the stock's drop and depth (a wooden
hunting stock, a skeleton or folded stock, a bullpup with none behind the grip), magazines below (straight,
curved, a drum, a tube under the barrel, none), optics above (a long scope on rings, a red dot, a carry
handle), a bipod, a suppressor or a bayonet in front. The families are the gun types whose silhouettes
differ most; within a family lengths, heights and the optional pieces vary widely, and an anisotropic
stretch per rifle comes last. `make(seed, index)` is a pure function.

The eight families: assault rifle, sniper rifle, hunting rifle, shotgun, submachine gun, musket, bullpup,
light machine gun.
"""
import numpy as np

from synthetic.primitives import Convex, bar, box, cylinder, hsv

FAMILIES = ("assault", "sniper", "hunting", "shotgun", "smg", "musket", "bullpup", "lmg")
FAMILY_WEIGHTS = np.array([14, 9, 8, 7, 8, 4, 5, 5], float)
FAMILY_WEIGHTS /= FAMILY_WEIGHTS.sum()
SYNSET = 4090263


# ---------------------------------------------------------------------------------------------------
# Parts. The bore axis is the line x = 0, y = 0; the receiver spans z in [zr0, zr1].
# ---------------------------------------------------------------------------------------------------
def profile(points, half_w, part):
    """A flat convex piece: the polygon `points` (K, 2) of (z, y), thickened to x in [-half_w, half_w]."""
    p = np.asarray(points, float)
    return Convex(np.concatenate([np.stack([np.full(len(p), s * half_w), p[:, 1], p[:, 0]], 1) for s in (-1, 1)]), part)


def tilted(centre, half, angle, part):
    """A box (half extents (x, y, z)) rotated about x by `angle` (positive leans its top forward... towards +z)."""
    c, s = np.cos(angle), np.sin(angle)
    rot = np.array([[1, 0, 0], [0, c, s], [0, -s, c]])
    return box(centre, half, rot, part)


def barrel(z0, z1, r, part="metal"):
    return cylinder([0, 0, (z0 + z1) / 2], r, (z1 - z0) / 2, axis=(0, 0, 1), part=part, sides=8)


def stock(rng, zr0, h, kind, w, part="wood"):
    """What is behind the receiver (it ends at z = zr0, its top at y = h/2): "wood" (a solid stock with a
    drop and a wrist), "thumbhole", "skeleton" (a frame of bars), "tube" (a buffer tube with a butt pad),
    "folded" (a skeleton folded along the receiver's side) or "none". Returns (parts, rear end z)."""
    length = rng.uniform(0.28, 0.4)
    drop = rng.uniform(0.0, 0.08)
    butt = rng.uniform(0.11, 0.17)
    top = h / 2
    z1 = zr0 - length
    if kind in ("wood", "thumbhole"):
        wrist = rng.uniform(0.035, 0.06)
        pts_front = [[zr0 + 0.02, top], [zr0 + 0.02, top - h], [zr0 - length * 0.3, top - drop * 0.3 - wrist - 0.03],
                     [zr0 - length * 0.3, top - drop * 0.3]]
        pts_back = [[zr0 - length * 0.3, top - drop * 0.3], [zr0 - length * 0.3, top - drop * 0.3 - wrist - 0.03],
                    [z1, top - drop - butt], [z1, top - drop + 0.01], [z1 + 0.03, top - drop + 0.015]]
        parts = [profile(pts_front, w * 0.45, part)]
        if kind == "thumbhole":  # the butt joined at its top (comb) and bottom, a hole between
            parts.append(profile([[zr0 - length * 0.3, top - drop * 0.3], [zr0 - length * 0.3, top - drop * 0.3 - 0.03],
                                  [z1, top - drop - 0.03], [z1, top - drop + 0.01]], w * 0.45, part))
            parts.append(profile([[z1 + 0.08, top - drop - 0.03], [z1, top - drop - 0.03], [z1, top - drop - butt], [z1 + 0.08, top - drop - butt + 0.01]],
                                 w * 0.5, part))
            parts.append(profile([[zr0 - length * 0.3, top - drop * 0.3 - wrist - 0.03], [zr0 - length * 0.3 - 0.03, top - drop * 0.3 - wrist - 0.06],
                                  [z1 + 0.05, top - drop - butt], [z1 + 0.08, top - drop - butt + 0.03]], w * 0.45, part))
        else:
            parts.append(profile(pts_back, w * 0.5, part))
        return parts, z1
    if kind == "skeleton":
        t = rng.uniform(0.015, 0.025)
        a, b = [zr0 + 0.01, top - t], [z1 + t, top - drop - t / 2]
        c, d = [zr0 + 0.01, top - h + t], [z1 + t, top - drop - butt + t]
        parts = [bar([0, a[1], a[0]], [0, b[1], b[0]], t, part), bar([0, c[1], c[0]], [0, d[1], d[0]], t, part),
                 box([0, top - drop - butt / 2, z1 + t], [w * 0.4, butt / 2, t], part=part)]
        return parts, z1
    if kind == "tube":
        r = rng.uniform(0.015, 0.022)
        y = top - h * 0.35
        parts = [cylinder([0, y, zr0 - length * 0.45], r, length * 0.45 + 0.01, axis=(0, 0, 1), part="metal", sides=8),
                 box([0, y - butt * 0.35 + r, z1 + 0.05], [w * 0.45, butt / 2, 0.05], part=part)]
        return parts, z1
    if kind == "folded":  # a skeleton stock folded forward along the right side of the receiver
        t = 0.02
        parts = [box([w / 2 + t / 2, top - h / 2, zr0 + length / 2 - 0.02], [t / 2, h * 0.3, length / 2], part=part),
                 box([w / 2 + t / 2, top - h / 2, zr0 + length - 0.03], [t * 1.2, butt / 2 * 0.8, 0.02], part=part)]
        return parts, zr0
    return [], zr0


def grip(z, y_top, rng, w, part="grip"):
    """A pistol grip below the receiver at z, raked back."""
    gh = rng.uniform(0.09, 0.13)
    a = rng.uniform(-0.45, -0.15)
    return [tilted([0, y_top - gh / 2, z - 0.01], [w * 0.4, gh / 2 + 0.01, 0.018], a, part)]


def magazine(rng, z, y_top, w, kind, part="mag"):
    """A magazine hanging from y_top at z: "straight", "curved", "drum", "box" (a deep straight one)."""
    if kind == "drum":
        r = rng.uniform(0.06, 0.09)
        return [box([0, y_top - 0.03, z], [w * 0.35, 0.04, 0.03], part=part), cylinder([0, y_top - r - 0.02, z], r, w * 0.7, axis=(1, 0, 0), part=part, sides=12)]
    if kind == "curved":
        parts, y, zz = [], y_top + 0.01, z
        n = 3
        seg = rng.uniform(0.06, 0.09)
        curve = rng.uniform(0.2, 0.4)
        for k in range(n):
            a = curve * (k + 0.5)
            dz, dy = np.sin(a) * seg, -np.cos(a) * seg
            parts.append(tilted([0, y + dy / 2, zz + dz / 2], [w * 0.35, seg / 2 + 0.005, 0.03], a, part))
            y, zz = y + dy, zz + dz
        return parts
    depth = rng.uniform(0.08, 0.25) if kind == "straight" else rng.uniform(0.12, 0.2)
    a = rng.uniform(0.0, 0.15)
    return [tilted([0, y_top - depth / 2 + 0.01, z + np.sin(a) * depth / 2], [w * 0.35, depth / 2, rng.uniform(0.025, 0.045)], a, part)]


def scope(rng, z0, z1, y, part="optic"):
    """A telescopic sight on two rings: bells at both ends, a turret on top."""
    r = rng.uniform(0.014, 0.02)
    bell = r * rng.uniform(1.3, 2.1)
    length = z1 - z0
    secs = [(z0, r * 1.4), (z0 + length * 0.12, r * 1.3), (z0 + length * 0.25, r), (z1 - length * 0.3, r), (z1 - length * 0.12, bell),
            (z1, bell)]
    parts = []
    for (za, ra), (zb, rb) in zip(secs[:-1], secs[1:]):
        parts.append(Convex(np.concatenate([[[ra * np.cos(t), y + r * 2 + ra * np.sin(t), za] for t in 2 * np.pi * np.arange(8) / 8],
                                            [[rb * np.cos(t), y + r * 2 + rb * np.sin(t), zb] for t in 2 * np.pi * np.arange(8) / 8]]), part))
    for zz in (z0 + length * 0.3, z1 - length * 0.35):  # rings reaching down to the bore axis (receiver or barrel below)
        parts.append(box([0, (y + 2 * r) / 2, zz], [r * 0.8, (y + 2 * r) / 2, 0.012], part="metal"))
    parts.append(cylinder([0, y + r * 3.2, (z0 + z1) / 2], r * 0.6, r * 0.5, part=part, sides=8))
    return parts


def bipod(rng, z, y, part="metal"):
    """Two legs from under the forend, splayed and raked forward (deployed) or folded along the barrel."""
    length = rng.uniform(0.15, 0.3)
    if rng.random() < 0.3:
        return [bar([sx * 0.006, y, z], [sx * 0.012, y - 0.01, z + length], 0.012, part) for sx in (-1, 1)]
    splay, rake = rng.uniform(0.15, 0.4), rng.uniform(-0.3, 0.2)
    return [bar([sx * 0.006, y, z], [sx * length * np.sin(splay), y - length * np.cos(splay), z + length * np.sin(rake)], 0.014, part)
            for sx in (-1, 1)]


def front_sight(z, y, part="metal"):
    return [box([0, y + 0.02, z], [0.006, 0.025, 0.01], part=part)]


# ---------------------------------------------------------------------------------------------------
# Families.
# ---------------------------------------------------------------------------------------------------
def _receiver(rng, zr0, zr1, h, w, part="metal", taper=0.0):
    """The receiver block: from zr0 to zr1, top at h/2; its front lower corner cut by `taper`."""
    return profile([[zr0, h / 2], [zr1, h / 2], [zr1, -h / 2 + taper], [zr1 - taper * 2, -h / 2], [zr0, -h / 2]], w / 2, part)


def assault(rng):
    """AR or AK pattern: receiver, pistol grip, curved or straight magazine, handguard, a buttstock of any
    kind, iron sights, a carry handle or an optic on top."""
    h, w = rng.uniform(0.06, 0.09), rng.uniform(0.03, 0.045)
    zr0, zr1 = 0.0, rng.uniform(0.22, 0.32)
    parts = [_receiver(rng, zr0, zr1, h, w, taper=0.01)]
    hg = rng.uniform(0.18, 0.35)
    bl = hg + rng.uniform(0.05, 0.25)
    parts.append(profile([[zr1 - 0.01, h / 2 - 0.005], [zr1 + hg, h / 2 - 0.01], [zr1 + hg, -h / 2 + 0.015], [zr1 - 0.01, -h / 2 + 0.005]],
                         w * rng.uniform(0.5, 0.65), "grip" if rng.random() < 0.5 else "metal"))
    parts.append(barrel(zr1, zr1 + bl, rng.uniform(0.009, 0.013)))
    if rng.random() < 0.3:  # suppressor or brake
        parts.append(barrel(zr1 + bl - 0.01, zr1 + bl + rng.uniform(0.05, 0.18), rng.uniform(0.016, 0.022)))
    parts += front_sight(zr1 + hg + 0.03, 0.0)
    parts += grip(zr0 + rng.uniform(0.03, 0.07), -h / 2 + 0.005, rng, w)
    parts += magazine(rng, zr0 + (zr1 - zr0) * rng.uniform(0.45, 0.65), -h / 2 + 0.005, w, rng.choice(["curved", "straight", "drum"], p=[0.55, 0.38, 0.07]))
    kind = rng.choice(["tube", "skeleton", "wood", "folded", "none"], p=[0.35, 0.15, 0.3, 0.12, 0.08])
    sp, _ = stock(rng, zr0, h, kind, w, "grip" if kind != "wood" else "wood")
    parts += sp
    top = rng.choice(["handle", "optic", "scope", "none"], p=[0.3, 0.3, 0.15, 0.25])
    if top == "handle":
        hh = rng.uniform(0.04, 0.07)
        parts.append(profile([[zr0 + 0.05, h / 2 - 0.005], [zr1 - 0.02, h / 2 - 0.005], [zr1 - 0.04, h / 2 + hh], [zr0 + 0.06, h / 2 + hh]], 0.008, "metal"))
    elif top == "optic":
        parts.append(box([0, h / 2 + 0.02, (zr0 + zr1) / 2], [0.02, 0.025, rng.uniform(0.03, 0.06)], part="optic"))
    elif top == "scope":
        parts += scope(rng, zr0 - 0.02, zr1 + 0.05, h / 2 - 0.005)
    if rng.random() < 0.2:
        parts += bipod(rng, zr1 + hg * 0.8, -h / 2 + 0.02)
    return parts


def sniper(rng):
    """A bolt-action or semi-auto precision rifle: a long heavy barrel, a long scope, a bipod, a bolt
    handle, a wooden, thumbhole or chassis stock, a short box magazine."""
    h, w = rng.uniform(0.05, 0.08), rng.uniform(0.03, 0.045)
    zr0, zr1 = 0.0, rng.uniform(0.2, 0.3)
    parts = [_receiver(rng, zr0, zr1, h, w)]
    fe = rng.uniform(0.25, 0.45)
    bl = fe + rng.uniform(0.15, 0.45)
    r = rng.uniform(0.011, 0.016)
    parts.append(barrel(zr1, zr1 + bl, r))
    if rng.random() < 0.5:
        parts.append(barrel(zr1 + bl - 0.01, zr1 + bl + rng.uniform(0.04, 0.2), r * rng.uniform(1.4, 1.9)))
    kind = rng.choice(["wood", "thumbhole", "skeleton", "tube"], p=[0.35, 0.3, 0.2, 0.15])
    wood = kind in ("wood", "thumbhole")
    if wood:  # the stock runs forward under the barrel as the forend
        parts.append(profile([[zr0, -h / 2 + 0.01], [zr1 + fe, -r * 0.5], [zr1 + fe, -r - 0.035], [zr0, -h / 2 - 0.03]], w * 0.5, "wood"))
    else:
        parts.append(profile([[zr1 - 0.01, r], [zr1 + fe, r], [zr1 + fe, -r - 0.03], [zr1 - 0.01, -h / 2]], w * 0.55, "grip"))
        parts += grip(zr0 + 0.03, -h / 2 + 0.005, rng, w)
    sp, _ = stock(rng, zr0, h, kind, w, "wood" if wood else "grip")
    parts += sp
    if rng.random() < 0.7:
        parts += magazine(rng, zr0 + (zr1 - zr0) * 0.6, -h / 2 + 0.005 - (0.02 if wood else 0.0), w, "straight")
    parts.append(bar([w * 0.4, h * 0.2, zr0 + 0.05], [w * 0.5 + rng.uniform(0.03, 0.06), h * 0.1 - 0.02, zr0 + 0.03], 0.012, "metal"))  # bolt handle
    parts += scope(rng, zr0 - rng.uniform(0.0, 0.05), zr1 + rng.uniform(0.08, 0.25), h / 2 - 0.005)
    if rng.random() < 0.6:
        parts += bipod(rng, zr1 + fe * 0.85, -r - 0.03)
    return parts


def hunting(rng):
    """A sporting rifle (bolt or lever action): one-piece wooden stock with forend, a slim barrel, a scope
    or open sights, maybe a sling."""
    h, w = rng.uniform(0.045, 0.065), rng.uniform(0.03, 0.04)
    zr0, zr1 = 0.0, rng.uniform(0.18, 0.26)
    parts = [_receiver(rng, zr0, zr1, h, w)]
    fe = rng.uniform(0.15, 0.4)
    bl = fe + rng.uniform(0.1, 0.35)
    r = rng.uniform(0.008, 0.012)
    parts.append(barrel(zr1, zr1 + bl, r))
    parts.append(profile([[zr0, -h / 2 + 0.01], [zr1 + fe, -r * 0.5], [zr1 + fe - 0.02, -r - 0.03], [zr0, -h / 2 - rng.uniform(0.01, 0.04)]],
                         w * 0.5, "wood"))
    sp, zb = stock(rng, zr0, h, rng.choice(["wood", "thumbhole"], p=[0.85, 0.15]), w)
    parts += sp
    lever = rng.random() < 0.3
    if lever:  # a lever loop under the wrist and a tube magazine under the barrel
        parts.append(bar([0, -h / 2, zr0 + 0.08], [0, -h / 2 - 0.05, zr0 + 0.02], 0.012, "metal"))
        parts.append(bar([0, -h / 2 - 0.05, zr0 + 0.02], [0, -h / 2 - 0.03, zr0 - 0.06], 0.012, "metal"))
        parts.append(cylinder([0, -r * 2.2, zr1 + bl * 0.4], r * 0.9, bl * 0.4, axis=(0, 0, 1), part="metal", sides=8))
    else:
        parts.append(bar([w * 0.4, h * 0.2, zr0 + 0.05], [w * 0.5 + 0.05, h * 0.05 - 0.02, zr0 + 0.02], 0.012, "metal"))
    if rng.random() < 0.65:
        parts += scope(rng, zr0 - 0.02, zr1 + rng.uniform(0.05, 0.15), h / 2 - 0.005)
    else:
        parts += front_sight(zr1 + bl - 0.02, r)
    if rng.random() < 0.3:  # a sling hanging below
        parts.append(bar([0, -h / 2 - 0.08, zb + 0.1], [0, -r - 0.03 - 0.06, zr1 + fe - 0.05], 0.01, "grip"))
        parts.append(bar([0, -h / 2 - 0.08, zb + 0.1], [0, -h / 2 - 0.02, zb + 0.12], 0.01, "grip"))
        parts.append(bar([0, -r - 0.09, zr1 + fe - 0.05], [0, -r - 0.02, zr1 + fe - 0.06], 0.01, "grip"))
    return parts


def shotgun(rng):
    """A pump or semi-auto with a tube magazine under the barrel and a sliding forend, or a double
    barrel (side by side or over and under) with a wooden stock."""
    h, w = rng.uniform(0.05, 0.075), rng.uniform(0.035, 0.045)
    zr0, zr1 = 0.0, rng.uniform(0.18, 0.28)
    parts = [_receiver(rng, zr0, zr1, h, w)]
    bl = rng.uniform(0.35, 0.75)
    r = rng.uniform(0.011, 0.015)
    double = rng.random() < 0.35
    if double:
        sxs = rng.random() < 0.6
        for k in (-1, 1):
            off = [k * r, 0, 0] if sxs else [0, k * r, 0]
            parts.append(cylinder(np.array([0, 0, zr1 + bl / 2 - 0.005]) + off, r, bl / 2 + 0.005, axis=(0, 0, 1), part="metal", sides=8))
        fe = bl * rng.uniform(0.3, 0.5)
        parts.append(profile([[zr1 - 0.01, -r * 0.5], [zr1 + fe, -r * 0.8], [zr1 + fe, -r * 2.2 - 0.02], [zr1 - 0.01, -h / 2]], w * 0.5, "wood"))
        kind = "wood"
    else:
        parts.append(barrel(zr1, zr1 + bl, r))
        tube = bl * rng.uniform(0.6, 0.95)
        parts.append(cylinder([0, -r * 2.1, zr1 + tube / 2 - 0.01], r * 0.9, tube / 2, axis=(0, 0, 1), part="metal", sides=8))
        pump_z = zr1 + rng.uniform(0.03, 0.15)
        pl = rng.uniform(0.12, 0.22)
        parts.append(profile([[pump_z, -r * 0.8], [pump_z + pl, -r * 0.8], [pump_z + pl, -r * 3.4], [pump_z, -r * 3.4]], w * 0.6,
                             "wood" if rng.random() < 0.5 else "grip"))
        kind = rng.choice(["wood", "tube", "skeleton", "none"], p=[0.6, 0.2, 0.1, 0.1])
        if kind != "wood":
            parts += grip(zr0 + 0.03, -h / 2 + 0.005, rng, w)
        if rng.random() < 0.2:
            parts.append(box([0, h / 2 + 0.012, zr0 + (zr1 - zr0) / 2], [0.015, 0.015, 0.04], part="optic"))
    sp, _ = stock(rng, zr0, h, kind, w, "wood" if kind == "wood" else "grip")
    parts += sp
    parts.append(bar([0, -h / 2, zr0 + 0.08], [0, -h / 2 - 0.035, zr0 + 0.04], 0.008, "metal"))  # trigger guard
    parts += front_sight(zr1 + bl - 0.01, r * 0.5)
    return parts


def smg(rng):
    """A compact gun: a short receiver and barrel, a long straight magazine (in front of the trigger or in
    the grip), a folding, telescoping or no stock, sometimes a suppressor or a foregrip."""
    h, w = rng.uniform(0.05, 0.09), rng.uniform(0.03, 0.05)
    zr0, zr1 = 0.0, rng.uniform(0.15, 0.3)
    parts = [_receiver(rng, zr0, zr1, h, w, taper=0.01)]
    bl = rng.uniform(0.04, 0.2)
    r = rng.uniform(0.009, 0.013)
    parts.append(barrel(zr1 - 0.01, zr1 + bl, r))
    if rng.random() < 0.35:
        parts.append(barrel(zr1 + bl - 0.01, zr1 + bl + rng.uniform(0.1, 0.22), rng.uniform(0.018, 0.025)))
    in_grip = rng.random() < 0.3
    gz = zr0 + (zr1 - zr0) * rng.uniform(0.2, 0.4)
    parts += grip(gz, -h / 2 + 0.005, rng, w)
    if in_grip:
        parts += magazine(rng, gz - 0.02, -h / 2 - 0.08, w, "straight")
    else:
        parts += magazine(rng, zr0 + (zr1 - zr0) * rng.uniform(0.6, 0.85), -h / 2 + 0.005, w, rng.choice(["straight", "curved"], p=[0.7, 0.3]))
    if rng.random() < 0.3:  # a vertical foregrip
        parts.append(tilted([0, -h / 2 - 0.04, zr1 - 0.01], [w * 0.35, 0.05, 0.015], 0.0, "grip"))
    kind = rng.choice(["folded", "tube", "skeleton", "none"], p=[0.35, 0.25, 0.2, 0.2])
    sp, _ = stock(rng, zr0, h, kind, w, "grip")
    parts += sp
    if rng.random() < 0.3:
        parts.append(box([0, h / 2 + 0.02, (zr0 + zr1) / 2], [0.02, 0.025, 0.04], part="optic"))
    return parts


def musket(rng):
    """A muzzle-loader: a very long barrel in a full-length wooden stock with a flat lock plate and a
    hammer, a ramrod under the barrel, sometimes a bayonet."""
    h, w = rng.uniform(0.045, 0.06), rng.uniform(0.035, 0.045)
    zr0, zr1 = 0.0, rng.uniform(0.12, 0.18)
    bl = rng.uniform(0.8, 1.2)
    r = rng.uniform(0.01, 0.014)
    parts = [_receiver(rng, zr0, zr1, h, w, part="wood"), barrel(zr1 - 0.05, zr1 + bl, r)]
    fe = bl * rng.uniform(0.75, 0.95)
    parts.append(profile([[zr0, h / 2 - 0.01], [zr1 + fe, r * 0.5], [zr1 + fe, -r - 0.02], [zr0, -h / 2]], w * 0.45, "wood"))
    parts.append(cylinder([0, -r - 0.01, zr1 + bl * 0.45], 0.005, bl * 0.45, axis=(0, 0, 1), part="metal", sides=6))  # ramrod
    parts.append(box([w * 0.45, 0.0, zr0 + 0.06], [0.004, h * 0.3, 0.06], part="metal"))  # lock plate
    parts.append(bar([w * 0.45, h * 0.2, zr0 + 0.03], [w * 0.45, h / 2 + 0.03, zr0 + 0.05], 0.01, "metal"))  # hammer
    for k in range(int(rng.integers(1, 4))):  # barrel bands
        zb = zr1 + fe * (0.35 + 0.3 * k)
        if zb < zr1 + fe:
            parts.append(cylinder([0, -r * 0.5, zb], r + 0.015, 0.008, axis=(0, 0, 1), part="metal", sides=8))
    sp, _ = stock(rng, zr0, h, "wood", w)
    parts += sp
    parts.append(bar([0, -h / 2, zr0 + 0.09], [0, -h / 2 - 0.03, zr0 + 0.05], 0.008, "metal"))
    if rng.random() < 0.45:  # a socket bayonet
        bz = zr1 + bl
        length = rng.uniform(0.25, 0.45)
        parts.append(cylinder([0, 0, bz - 0.03], r * 1.4, 0.035, axis=(0, 0, 1), part="metal", sides=8))
        parts.append(box([0, r * 1.2 + 0.012, bz - 0.04], [0.004, 0.014, 0.008], part="metal"))
        parts.append(Convex([[sx * 0.004, r * 1.2 + 0.02, bz - 0.04] for sx in (-1, 1)] + [[sx * 0.004, r * 1.2 + 0.035, bz - 0.04] for sx in (-1, 1)] +
                            [[0, r * 1.2 + 0.03, bz + length]] + [[sx * 0.003, r * 1.2 + 0.04, bz - 0.02] for sx in (-1, 1)], "metal"))
    return parts


def bullpup(rng):
    """The action and magazine behind the grip: a long stock-shaped body, the grip well forward, a butt
    plate at the back, a long handle or optic on top, a short barrel out of the front."""
    h, w = rng.uniform(0.08, 0.13), rng.uniform(0.04, 0.06)
    length = rng.uniform(0.45, 0.65)
    parts = [profile([[0, h / 2], [length, h / 2], [length + 0.03, h / 4], [length, -h / 2], [0.15, -h / 2], [0, -h / 2 - rng.uniform(0.02, 0.06)]],
                     w / 2, "grip")]
    parts.append(box([0, -0.01, 0.0], [w / 2 + 0.003, h / 2 + 0.02, 0.015], part="metal"))  # butt pad
    gz = length * rng.uniform(0.5, 0.7)
    parts += grip(gz, -h / 2 + 0.005, rng, w)
    if rng.random() < 0.5:  # a trigger guard joining grip and forend
        parts.append(box([0, -h / 2 - 0.04, gz + 0.07], [w * 0.3, 0.045, 0.012], part="grip"))
    parts += magazine(rng, length * rng.uniform(0.15, 0.3), -h / 2 + 0.005, w, rng.choice(["straight", "curved"]))
    bl = rng.uniform(0.05, 0.3)
    r = rng.uniform(0.009, 0.013)
    parts.append(barrel(length - 0.01, length + bl, r))
    top = rng.choice(["handle", "scope", "rail"], p=[0.4, 0.35, 0.25])
    if top == "handle":
        hh = rng.uniform(0.04, 0.08)
        parts.append(profile([[length * 0.25, h / 2 - 0.01], [length * 0.95, h / 2 - 0.01], [length * 0.95, h / 2 + hh], [length * 0.3, h / 2 + hh]],
                             0.012, "metal"))
    elif top == "scope":
        parts += scope(rng, length * 0.3, length * 0.85, h / 2 - 0.005)
    else:
        parts.append(box([0, h / 2 + 0.008, length * 0.6], [0.012, 0.01, length * 0.35], part="metal"))
    return parts


def lmg(rng):
    """A light machine gun: a bulky receiver with a feed cover, a heavy finned or plain barrel with a carry
    handle, a bipod, a box or drum magazine or a belt box hanging at the side, a fixed stock."""
    h, w = rng.uniform(0.09, 0.13), rng.uniform(0.05, 0.07)
    zr0, zr1 = 0.0, rng.uniform(0.3, 0.45)
    parts = [_receiver(rng, zr0, zr1, h, w, taper=0.02)]
    parts.append(box([0, h / 2 + 0.01, zr0 + (zr1 - zr0) * 0.55], [w / 2, 0.015, (zr1 - zr0) * 0.3], part="metal"))  # feed cover
    bl = rng.uniform(0.35, 0.6)
    r = rng.uniform(0.013, 0.02)
    parts.append(barrel(zr1 - 0.01, zr1 + bl, r))
    if rng.random() < 0.5:  # a cooling jacket
        parts.append(barrel(zr1 - 0.01, zr1 + bl * rng.uniform(0.4, 0.7), rng.uniform(0.025, 0.04)))
    parts += grip(zr0 + 0.05, -h / 2 + 0.005, rng, w)
    feed = rng.choice(["box", "drum", "belt", "top"], p=[0.35, 0.25, 0.25, 0.15])
    mz = zr0 + (zr1 - zr0) * 0.6
    if feed == "belt":
        parts.append(box([-(w / 2 + 0.03), -h / 2 - 0.02, mz], [0.05, 0.06, 0.06], part="mag"))
    elif feed == "top":
        parts.append(tilted([0, h / 2 + 0.07, mz], [0.015, 0.08, 0.06], -0.3, "mag"))
    else:
        parts += magazine(rng, mz, -h / 2 + 0.005, w, "drum" if feed == "drum" else "box")
    parts += stock(rng, zr0, h, rng.choice(["wood", "skeleton", "tube"]), w, "grip")[0]
    parts.append(profile([[zr1 + bl * 0.2, r * 0.5], [zr1 + bl * 0.3, r + 0.06], [zr1 + bl * 0.45, r + 0.06], [zr1 + bl * 0.5, r * 0.5]],
                         0.008, "metal"))  # carry handle on the barrel
    parts += bipod(rng, zr1 + bl * rng.uniform(0.5, 0.85), -r * 0.5)
    return parts


BUILDERS = {"assault": assault, "sniper": sniper, "hunting": hunting, "shotgun": shotgun, "smg": smg, "musket": musket,
            "bullpup": bullpup, "lmg": lmg}
assert tuple(BUILDERS) == FAMILIES


def _colours(rng, family):
    """Per-part RGB and (shininess, specular): blued or parkerised steel, walnut or beech wood, black, tan or
    olive polymer, a camouflage tint on some military guns."""
    g = rng.uniform(0.08, 0.35)
    metal = (g, g, g * rng.uniform(1.0, 1.15))
    wood = hsv(rng.uniform(0.04, 0.09), rng.uniform(0.5, 0.8), rng.uniform(0.25, 0.6))
    poly = (rng.choice([(0.1, 0.1, 0.1), hsv(0.1, 0.35, 0.6), hsv(0.22, 0.35, 0.35), (0.3, 0.3, 0.3)]) if rng.random() < 0.85
            else hsv(rng.uniform(0, 1), 0.5, 0.6))
    colours = {"metal": metal, "wood": wood, "grip": tuple(poly), "mag": tuple(poly) if rng.random() < 0.6 else metal,
               "optic": (0.08, 0.08, 0.08) if rng.random() < 0.7 else tuple(poly)}
    kind = "metal" if rng.random() < 0.4 else "matte"
    shininess = {"metal": 80.0, "matte": 12.0}[kind] * rng.uniform(0.7, 1.3)
    specular = {"metal": 0.6, "matte": 0.2}[kind]
    return colours, (float(shininess), float(specular))


def make(seed, index):
    """(family, parts, colours per part, material) of rifle `index`, a pure function of (seed, index).

    After its family builds it, the rifle is stretched by an independent factor per axis (height and
    thickness more than length: deeper stocks and magazines, thicker bodies), so no two share proportions."""
    rng = np.random.default_rng([seed, index, SYNSET])
    family = FAMILIES[rng.choice(len(FAMILIES), p=FAMILY_WEIGHTS)]
    parts = BUILDERS[family](rng)
    stretch = np.diag(np.exp(rng.uniform([-0.25, -0.3, -0.15], [0.3, 0.4, 0.15])))
    parts = [p.transformed(stretch) for p in parts]
    colours, material = _colours(rng, family)
    return family, parts, colours, material
