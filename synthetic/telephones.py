"""Procedural telephones (ShapeNet synset 04401088): the families, their parts and proportions (geometry only, numpy).

A telephone is a list of closed convex parts (synthetic/primitives.py) in raw units (about metres), +y up,
front towards +z: mobile phones stand upright (long axis along y) with the screen facing +z, desk phones
lie on y = 0 with the keypad up and the front towards +z. ShapeNet's telephones are mostly mobile
phones, near-boxes whose differences a one-view reconstruction has to read from small cues: the aspect
ratio and thickness, how round the corners and edges are, whether the phone is one slab or two (a flip
phone open at an angle, a slider pulled out, a foldable half open), an antenna, a keypad standing out
of the front. The desk and cordless phones are the other silhouettes: a wedge base with a handset in its
cradle and a cord, a handset standing in a dock, a rotary set. The families differ in those, and every
parameter within a family ranges widely.

The nine families: candybar smartphones (thin rounded slabs, a camera bump, side buttons), foldables
(book-style or clamshell smartphones part open), keypad bar phones (thicker, a keypad, often an antenna stub or
rod), flip phones (open at an angle on a hinge, or closed), sliders (the screen half slid up, sideways
or swivelled over a keyboard), rugged and satellite phones (thick, bumpers, a big antenna), desk phones
(a sloped base, the handset lying in its cradle, a keypad, a cord, sometimes a raised display; or a
conference phone), cordless phones standing in a dock or a base station, and rotary and candlestick
sets. Every axis is stretched independently afterwards. `make(seed, index)` is a pure function.
"""
import numpy as np

from synthetic.displays import placed, plate, rot_y
from synthetic.lamps import lathe
from synthetic.primitives import Convex, bar, box, cylinder, hsv, rot_x, rounded_rect, tube

SYNSET = 4401088
FAMILIES = ("smartphone", "foldable", "keypad", "flip", "slider", "rugged", "desk", "cordless", "rotary")
FAMILY_WEIGHTS = np.array([14, 9, 10, 12, 7, 5, 18, 15, 10], float)
FAMILY_WEIGHTS /= FAMILY_WEIGHTS.sum()


# ---------------------------------------------------------------------------------------------------
# Slabs: a phone's body lies in the x-y plane, its front face at z = +T/2.
# ---------------------------------------------------------------------------------------------------
def slab_body(W, H, T, radius, edge, part="body", y0=0.0):
    """A rounded-rectangle slab W x H x T centred at (0, y0, 0), its front and back faces inset by `edge`
    (a chamfer standing for rounded edges)."""
    edge = min(edge, W * 0.2, H * 0.2, T * 0.45)
    outer = rounded_rect(W, H, radius, 4)
    inner = rounded_rect(W - 2 * edge, H - 2 * edge, max(radius - edge, 0.002), 4)
    pts = [np.c_[o, np.full(len(o), z)] for o, z in ((outer, -T / 2 + edge * 0.7), (outer, T / 2 - edge * 0.7), (inner, -T / 2), (inner, T / 2))]
    return Convex(np.concatenate(pts) + [0, y0, 0], part)


def screen(W, H, z, y0=0.0, radius=0.003, part="screen", depth=0.0008):
    """A thin dark plate on a front face at depth z, W x H centred at (0, y0)."""
    return plate(rounded_rect(W, H, radius, 3) + [0, y0], z - depth, z + depth, part)


def keys(rng, W, H, z, y0=0.0, cols=3, rows=4, part="keys", gap=None):
    """A grid of keys standing out of a front face at depth z, filling W x H around (0, y0)."""
    gap = rng.uniform(0.1, 0.35) if gap is None else gap
    kw, kh = W / cols, H / rows
    kd = rng.uniform(0.0008, 0.002)
    out = []
    for i in range(cols):
        for j in range(rows):
            out.append(box([-W / 2 + kw * (i + 0.5), y0 - H / 2 + kh * (j + 0.5), z + kd / 2 - 0.0005],
                           [kw / 2 * (1 - gap), kh / 2 * (1 - gap), kd / 2 + 0.0005], part=part))
    return out


def antenna(rng, x, y, T, long=False):
    """A stub or a rod on a phone's top edge at (x, y)."""
    if long:
        return [bar([x, y - 0.01, 0], [x, y + rng.uniform(0.05, 0.12), 0], rng.uniform(0.003, 0.006), "antenna", round_=True)]
    r = rng.uniform(0.004, 0.008)
    return [cylinder([x, y + r * 2 - 0.003, 0], r, r * 2 + 0.002, part="antenna", sides=8)]


def _mobile_dims(rng, aspect=(1.8, 2.3), thick=(0.006, 0.011)):
    W = rng.uniform(0.06, 0.08)
    return W, W * rng.uniform(*aspect), rng.uniform(*thick)


# ---------------------------------------------------------------------------------------------------
# Families.
# ---------------------------------------------------------------------------------------------------
def smartphone(rng):
    """A thin rounded slab, a screen to its edges (or with bezels, a home button), a camera bump, buttons."""
    W, H, T = _mobile_dims(rng, aspect=(1.4, 2.4), thick=(0.006, 0.013))
    radius = rng.uniform(0.04, 0.2) * W
    parts = [slab_body(W, H, T, radius, rng.uniform(0.0, 0.45) * T, y0=H / 2)]
    bz = rng.uniform(0.02, 0.06) * W
    top, bottom = (bz, bz) if rng.random() < 0.6 else (rng.uniform(0.08, 0.15) * H, rng.uniform(0.08, 0.15) * H)
    parts.append(screen(W - 2 * bz, H - top - bottom, T / 2, H / 2 + (bottom - top) / 2, max(radius - bz, 0.002)))
    if bottom > 0.05 * H and rng.random() < 0.7:  # a home button
        parts.append(cylinder([0, bottom / 2, T / 2], min(bottom * 0.3, W * 0.1), 0.0008, axis=(0, 0, 1), part="keys", sides=10))
    bump = rng.choice(["square", "bar", "round", "none"], p=[0.45, 0.2, 0.2, 0.15])  # the camera, on the back
    bt = rng.uniform(0.0008, 0.003)
    if bump == "square":
        s = rng.uniform(0.2, 0.5) * W
        cx = rng.choice([-1, 0]) * (W / 2 - s / 2 - 0.006)
        parts.append(plate(rounded_rect(s, s * rng.uniform(0.6, 1.4), s * 0.2, 3) + [cx, H - s / 2 - 0.008], -T / 2 - bt, -T / 2 + 0.001,
                           "camera"))
    elif bump == "bar":
        s = rng.uniform(0.15, 0.3) * W
        parts.append(box([0, H - s, -T / 2 - bt / 2 + 0.0005], [W / 2 - 0.002, s / 2, bt / 2 + 0.0005], part="camera"))
    elif bump == "round":
        s = rng.uniform(0.08, 0.2) * W
        parts.append(cylinder([rng.choice([-1, 0]) * W * 0.25, H - s - 0.008, -T / 2 - bt / 2 + 0.0005], s, bt / 2 + 0.0005, axis=(0, 0, 1),
                              part="camera", sides=12))
    for sx, n in ((1, 1), (-1, int(rng.integers(0, 3)))):  # side buttons
        for k in range(n):
            bl = rng.uniform(0.05, 0.12) * H
            parts.append(box([sx * W / 2, H * (0.75 - 0.12 * k), 0], [0.0012, bl / 2, T * 0.2], part="keys"))
    if rng.random() < 0.2:  # in a case with a stand: a kickstand folded out behind
        a = rng.uniform(0.3, 0.7)
        L = H * rng.uniform(0.4, 0.6)
        parts.append(Convex([[sx * W * 0.3, y, z] for sx in (-1, 1) for y, z in
                             ((H * 0.55, -T / 2 + 0.0005), (H * 0.55 - L * np.cos(a), -T / 2 - L * np.sin(a)),
                              (H * 0.55, -T / 2 - 0.003), (H * 0.55 - L * np.cos(a), -T / 2 - L * np.sin(a) - 0.003))], "camera"))
    return parts


def foldable(rng):
    """A foldable smartphone part open: book-style (two halves on a vertical hinge) or clamshell (on a
    horizontal one), one screen across both halves."""
    if rng.random() < 0.4:  # clamshell: a tall phone folded about its middle
        W, H, T = _mobile_dims(rng, aspect=(2.0, 2.5), thick=(0.006, 0.009))
        radius = rng.uniform(0.05, 0.2) * W
        half = [slab_body(W, H / 2, T, radius, rng.uniform(0.0, 0.3) * T, y0=H / 4), screen(W - 0.004, H / 2 - 0.004, T / 2, H / 4)]
        a = rng.uniform(0.2, 1.6)
        parts = placed(half, np.eye(3), [0, 0, 0]) + placed(half, rot_x(a), [0, H / 2, 0])
        parts.append(cylinder([0, H / 2, -T * 0.2], T * 0.6, W * 0.48, axis=(1, 0, 0), part="body", sides=10))
        return parts
    W, H, T = _mobile_dims(rng, aspect=(1.1, 1.6), thick=(0.005, 0.008))
    fold = np.pi - rng.uniform(1.4, 3.1)  # how far from flat the two halves' screens are
    share = rng.uniform(0.0, 1.0) if rng.random() < 0.6 else 0.5  # which half is turned: one held flat, or both
    radius = rng.uniform(0.04, 0.15) * W
    parts = [cylinder([0, H / 2, -T / 2], T * 0.6, H / 2 * 0.98, part="body", sides=10)]
    for sx, k in ((-1, share), (1, 1 - share)):
        half = [slab_body(W / 2, H, T, radius, rng.uniform(0.0, 0.3) * T, y0=H / 2),
                screen(W / 2 - 0.004, H - 0.008, T / 2, H / 2)]
        half = placed(half, np.eye(3), [sx * W / 4, 0, 0])
        a = -sx * fold * k  # turn each half about the hinge (x = 0), its outer edge coming forward
        parts += placed(placed(half, np.eye(3), [0, 0, T / 2]), rot_y(a), [0, 0, -T / 2])
    return parts


def keypad(rng):
    """A thick bar phone: a small screen above a keypad, a navigation pad, often an antenna stub or rod."""
    W, H, T = _mobile_dims(rng, aspect=(1.2, 2.9), thick=(0.012, 0.026))
    W *= rng.uniform(0.7, 0.95)
    radius = rng.uniform(0.05, 0.4) * W
    parts = [slab_body(W, H, T, radius, rng.uniform(0.1, 0.45) * T, y0=H / 2)]
    sh = H * rng.uniform(0.2, 0.35)
    sy = H * rng.uniform(0.62, 0.72)
    parts.append(screen(W * rng.uniform(0.6, 0.85), sh, T / 2 - 0.0005, sy))
    kh = H * rng.uniform(0.3, 0.45)
    parts += keys(rng, W * 0.8, kh, T / 2 - 0.0005, kh / 2 + H * 0.04, rows=int(rng.choice([4, 5])))
    parts.append(cylinder([0, sy - sh / 2 - (sy - sh / 2 - kh - H * 0.04) / 2, T / 2], W * rng.uniform(0.1, 0.2), 0.0015, axis=(0, 0, 1),
                          part="keys", sides=10))
    kind = rng.choice(["none", "stub", "rod"], p=[0.4, 0.3, 0.3])
    if kind != "none":
        parts += antenna(rng, W * 0.3 * rng.choice([-1, 1]), H, T, long=kind == "rod")
    if rng.random() < 0.25:  # a banana curve: the lower half bent forward
        bend = rng.uniform(0.1, 0.3)
        parts = [Convex(np.where(p.verts[:, 1:2] < H / 2, (p.verts - [0, H / 2, 0]) @ rot_x(-bend).T + [0, H / 2, 0], p.verts), p.part)
                 for p in parts]
    return parts


def flip(rng):
    """A clamshell: a keypad half and a screen half on a hinge, open at an angle (or closed)."""
    W, H, T = _mobile_dims(rng, aspect=(0.9, 1.3), thick=(0.006, 0.013))
    H2 = H * rng.uniform(0.6, 1.2)
    T2 = T * rng.uniform(0.6, 1.0)
    radius = rng.uniform(0.05, 0.35) * W
    edge = rng.uniform(0.0, 0.4) * T
    hinge_r = max(T, T2) * rng.uniform(0.5, 0.7)
    lower = [slab_body(W, H, T, radius, edge, y0=H / 2)]
    lower += keys(rng, W * 0.75, H * 0.6, T / 2 - 0.0005, H * 0.4, rows=int(rng.choice([4, 5])))
    upper = [slab_body(W, H2, T2, radius, edge, y0=H2 / 2), screen(W * 0.8, H2 * 0.6, T2 / 2 - 0.0005, H2 * 0.55)]
    if rng.random() < 0.2:  # closed: the screen half folded over the keypad half, a small outer display on it
        parts = [lower[0], slab_body(W, H, T2, radius, edge, y0=H / 2)]
        parts[1] = Convex(parts[1].verts + [0, 0, T / 2 + T2 / 2 - 0.0005], "body")
        parts.append(screen(W * rng.uniform(0.3, 0.6), H * rng.uniform(0.2, 0.35), T / 2 + T2 - 0.0003, H * 0.65))
        parts.append(cylinder([0, H, (T2 - 0.0005) / 2], hinge_r * 1.1, W * 0.4, axis=(1, 0, 0), part="body", sides=10))
        return parts
    a = rng.uniform(0.0, 1.2)  # the upper half's top comes forward: the inside faces make a shallow V
    parts = lower + placed(upper, rot_x(a), [0, H + hinge_r * 0.6, 0])
    parts.append(cylinder([0, H + hinge_r * 0.3, 0], hinge_r, W * rng.uniform(0.3, 0.5), axis=(1, 0, 0), part="body", sides=10))
    if rng.random() < 0.35:  # an antenna on the keypad half's top corner, beside the hinge
        parts += antenna(rng, W * 0.42 * rng.choice([-1, 1]), H - 0.005, T, long=rng.random() < 0.5)
    return parts


def slider(rng):
    """A screen slab slid up (or, landscape, sideways) over a keyboard slab behind it."""
    W, H, T = _mobile_dims(rng, aspect=(1.6, 2.2), thick=(0.006, 0.01))
    landscape = rng.random() < 0.35
    if landscape:
        W, H = H, W
    radius = rng.uniform(0.05, 0.25) * min(W, H)
    T2 = T * rng.uniform(0.6, 1.0)
    shift = rng.uniform(0.25, 0.5)
    back = [slab_body(W, H, T, radius, rng.uniform(0.0, 0.4) * T, y0=H / 2)]
    if landscape:  # the keyboard slides out below: a QWERTY grid
        back += keys(rng, W * 0.9, H * shift * 0.85, T / 2 - 0.0005, H * shift / 2, cols=10, rows=3)
    else:
        back += keys(rng, W * 0.75, H * shift * 0.85, T / 2 - 0.0005, H * shift / 2, rows=4)
    front = [slab_body(W, H, T2, radius, rng.uniform(0.0, 0.4) * T2, y0=H / 2), screen(W * 0.9, H * 0.75, T2 / 2, H / 2)]
    if not landscape and rng.random() < 0.3:  # a swivel: the screen half turned sideways about a pivot near its top
        turn = rng.uniform(0.6, np.pi / 2) * rng.choice([-1, 1])
        pivot = np.array([0, H * 0.85, 0])
        rot_z = np.array([[np.cos(turn), -np.sin(turn), 0], [np.sin(turn), np.cos(turn), 0], [0, 0, 1]])
        front = placed(placed(front, np.eye(3), -pivot), rot_z,
                       pivot + [0, 0, T / 2 + T2 / 2 - 0.0005])
        return back + front
    return back + placed(front, np.eye(3), [0, H * shift, T / 2 + T2 / 2 - 0.0005])


def rugged(rng):
    """A thick, bumpered body with a big antenna: satellite phones, walkie-talkies, field phones."""
    W, H, T = _mobile_dims(rng, aspect=(1.8, 2.8), thick=(0.02, 0.04))
    radius = rng.uniform(0.05, 0.3) * W
    parts = [slab_body(W, H, T, radius, rng.uniform(0.2, 0.45) * T, y0=H / 2)]
    for sy in (0.04, 0.96):  # bumpers at the ends
        parts.append(slab_body(W * 1.08, H * 0.08, T * 1.1, radius, T * 0.2, part="antenna", y0=H * sy))
    parts.append(screen(W * 0.7, H * 0.25, T / 2 - 0.0005, H * 0.7))
    parts += keys(rng, W * 0.75, H * 0.35, T / 2 - 0.0005, H * 0.3, rows=4)
    r = rng.uniform(0.006, 0.012)
    L = H * rng.uniform(0.3, 1.0)
    x = W * 0.3 * rng.choice([-1, 1])
    if rng.random() < 0.7:
        tilt = rng.uniform(-0.4, 0.4) if rng.random() < 0.5 else 0.0
        tip = np.array([x + np.sin(tilt) * L, H + np.cos(tilt) * L, 0.0])
        parts.append(bar([x, H - 0.01, 0], tip, 2 * r, "antenna", round_=True, thickness_b=r * 1.2))
    else:  # folded down along the side
        parts.append(bar([np.sign(x) * (W / 2 + r), H + r, 0], [np.sign(x) * (W / 2 + r), H + r - L, 0], 2 * r, "antenna", round_=True))
        parts.append(cylinder([np.sign(x) * (W / 2), H, 0], r * 1.4, r * 1.5, axis=(1, 0, 0), part="antenna", sides=8))
    return parts


def handset(rng, L, r, lift, part="handset"):
    """A desk phone's handset lying along x: an earpiece and a mouthpiece cup (discs facing down) joined by an
    arched handle; its lowest point at y = lift. Returns (parts, (x, y, z) of its cord end)."""
    hh = r * rng.uniform(0.2, 0.9)
    t = r * rng.uniform(0.6, 1.0)
    cup = r * rng.uniform(0.35, 0.7)
    parts = []
    for sx in (-1, 1):
        parts.append(cylinder([sx * (L / 2 - r), lift + cup / 2, 0], r, cup / 2, part=part, sides=12))
    xs = np.array([-L / 2 + r, -L / 4, L / 4, L / 2 - r])
    ys = lift + cup + np.array([0.0, hh, hh, 0.0]) - t * 0.3
    parts += tube(np.stack([xs, ys, np.zeros(4)], 1), t, part)
    return parts, np.array([L / 2 - r, lift + cup * 0.3, 0])


def cord(rng, a, b, part="cord"):
    """A coiled cord from a to b sagging to the table: a zigzag tube."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    n = 12
    s = np.linspace(0, 1, n)
    pts = a + (b - a) * s[:, None]
    sag = min(a[1], b[1]) * rng.uniform(0.3, 1.0)
    pts[:, 1] -= sag * np.sin(np.pi * s)
    pts[:, 1] = np.maximum(pts[:, 1], 0.004)
    side = np.cross(b - a, [0, 1, 0])
    side /= np.linalg.norm(side) + 1e-9
    pts[1:-1] += side * 0.006 * (-1) ** np.arange(1, n - 1)[:, None]
    return tube(pts, rng.uniform(0.004, 0.008), part)


def conference(rng):
    """A conference phone: a low three-lobed or round body, a speaker grille in its middle, keys at the front."""
    R = rng.uniform(0.1, 0.18)
    h = rng.uniform(0.025, 0.06)
    lobes = rng.random() < 0.6
    if lobes:
        rl = R * rng.uniform(0.25, 0.45)
        a = np.pi / 2 + 2 * np.pi * np.arange(3) / 3
        pts = np.concatenate([np.c_[np.cos(a[i]) * (R - rl) + rl * np.cos(np.linspace(0, 2 * np.pi, 9)[:-1]),
                                    np.sin(a[i]) * (R - rl) + rl * np.sin(np.linspace(0, 2 * np.pi, 9)[:-1])] for i in range(3)])
    else:
        b = np.linspace(0, 2 * np.pi, 17)[:-1]
        pts = np.c_[R * np.cos(b), R * np.sin(b)]
    k = rng.uniform(0.5, 0.9)
    parts = [Convex(np.concatenate([np.c_[pts[:, 0], np.zeros(len(pts)), pts[:, 1]], np.c_[pts[:, 0] * k, np.full(len(pts), h), pts[:, 1] * k]]),
                    "body")]
    parts.append(cylinder([0, h + 0.001, 0], R * k * 0.35, 0.002, part="keys", sides=14))
    grid = keys(rng, R * 0.5, R * 0.3, 0.0, 0.0, rows=3)
    parts += [Convex(g.verts[:, [0, 2, 1]] * [1, 1, -1] + [0, h - 0.0005, R * k * 0.6], "keys") for g in grid]
    if rng.random() < 0.5:  # microphone pods on cords
        for sx in (-1, 1):
            end = np.array([sx * R * 2.2, 0.0, R * 0.5])
            parts += cord(rng, [sx * R * 0.3, h * 0.4, 0], end + [0, 0.01, 0])
            parts.append(cylinder(end + [0, 0.008, 0], R * 0.25, 0.008, part="body", sides=10))
    return parts


def desk(rng):
    """A sloped base (back higher than front), the handset lying in its cradle along the top or the left side,
    a keypad (and often a display) on the slope, a coiled cord; sometimes a raised display or a conference
    phone instead."""
    if rng.random() < 0.15:
        return conference(rng)
    w, d = rng.uniform(0.14, 0.3), rng.uniform(0.12, 0.26)
    hf, hb = rng.uniform(0.01, 0.05), rng.uniform(0.04, 0.14)
    inset = rng.uniform(0.0, 0.3)
    o = rounded_rect(w, d, rng.uniform(0.0, 0.3) * min(w, d), 3)
    top = o * [1 - inset * 0.3, 1 - inset * 0.3]
    base = Convex(np.concatenate([np.c_[o[:, 0], np.zeros(len(o)), o[:, 1]],
                                  np.c_[top[:, 0], hf + (hb - hf) * (d / 2 - top[:, 1]) / d, top[:, 1]]]), "body")
    parts = [base]
    slope = np.arctan2(hb - hf, d)
    R = rot_x(slope)

    def on_top(x, z):  # the point of the sloped top above (x, z)
        return np.array([x, hf + (hb - hf) * (d / 2 - z) / d, z])

    side = rng.random() < 0.5  # the handset along the left side (front to back) or across the back
    L = rng.uniform(0.17, 0.24)
    r = rng.uniform(0.02, 0.03)
    hs, cord_end = handset(rng, L, r, 0.0)
    if side:
        x0 = -w / 2 + r * 1.2
        cradle_h = hb + rng.uniform(0.0, 0.02)
        parts.append(box([x0, cradle_h / 2, 0], [r * 1.3, cradle_h / 2, d / 2 * 0.9], part="body"))
        parts += placed(hs, rot_y(np.pi / 2), [x0, cradle_h - 0.002, 0])
        cord_end = rot_y(np.pi / 2) @ cord_end + [x0, cradle_h, 0]
        kx, kz, kw = w * 0.15, d * 0.05, w * 0.45
    else:
        zc = -d / 2 + r * 1.3
        cradle_h = hb + rng.uniform(0.0, 0.02)
        parts.append(box([0, cradle_h / 2, zc], [min(L / 2, w / 2), cradle_h / 2, r * 1.4], part="body"))
        parts += placed(hs, np.eye(3), [0, cradle_h - 0.002, zc])
        cord_end = cord_end + [0, cradle_h, zc]
        kx, kz, kw = 0.0, d * 0.2, w * 0.45
    kd = d * 0.45
    c = on_top(kx, kz)
    for k in keys(rng, kw, kd, 0.0, 0.0, rows=4):
        parts.append(Convex((k.verts[:, [0, 2, 1]] * [1, 1, -1]) @ R.T + c, "keys"))  # the grid laid on the slope
    if rng.random() < 0.6:  # a display above the keys
        parts.append(Convex((screen(kw, d * 0.12, 0.0, 0.0).verts[:, [0, 2, 1]] * [1, 1, -1]) @ R.T + on_top(kx, kz - kd / 2 - d * 0.1),
                            "screen"))
    parts += cord(rng, cord_end, [w / 2 * 0.9 if not side else -w / 2 * 0.9, hf * 0.5, d * 0.2 if side else -d * 0.3])
    if rng.random() < 0.3:  # a display panel raised at the back, tilted towards the user
        pw, ph = w * rng.uniform(0.4, 0.7), d * rng.uniform(0.3, 0.5)
        tilt = rng.uniform(0.3, 0.8)
        c = on_top(w * 0.1 if side else 0.0, -d / 2 + 0.01) + [0, ph / 2 * np.cos(tilt) - 0.005, 0.0]
        panel = [box([0, 0, 0], [pw / 2, ph / 2, 0.008], part="body"), box([0, 0, 0.008], [pw / 2 * 0.85, ph / 2 * 0.8, 0.0015], part="screen")]
        parts += placed(panel, rot_x(-tilt), c)
    return parts


def cordless(rng):
    """A slim handset standing in a dock (or the slot of a base station), leaning back, keys on its front."""
    W = rng.uniform(0.04, 0.055)
    H = W * rng.uniform(2.8, 4.2)
    T = rng.uniform(0.015, 0.03)
    hand = [slab_body(W, H, T, rng.uniform(0.1, 0.45) * W, rng.uniform(0.1, 0.45) * T, part="handset", y0=H / 2)]
    hand.append(screen(W * 0.75, H * 0.18, T / 2 - 0.0005, H * 0.75))
    hand += keys(rng, W * 0.75, H * 0.38, T / 2 - 0.0005, H * 0.35, rows=4)
    if rng.random() < 0.3:
        hand += antenna(rng, W * 0.3, H, T)
    tilt = rng.uniform(0.0, 0.5)
    station = rng.random() < 0.4
    if station:  # a base station: a wide sloped body, the handset in a slot at its back
        bw, bd, bh = rng.uniform(0.12, 0.2), rng.uniform(0.1, 0.18), rng.uniform(0.03, 0.06)
        parts = [Convex([[sx * bw / 2, y, z] for sx in (-1, 1) for y, z in ((0, -bd / 2), (0, bd / 2), (bh, -bd / 2), (bh * 0.5, bd / 2))],
                        "body")]
        slope = np.arctan2(bh * 0.5, bd)
        kz = bd * 0.15
        for k in keys(rng, bw * 0.5, bd * 0.4, 0.0, 0.0, rows=3):  # laid on the sloped top
            parts.append(Convex((k.verts[:, [0, 2, 1]] * [1, 1, -1]) @ rot_x(slope).T + [bw * 0.15, bh * (0.75 - 0.5 * kz / bd), kz], "keys"))
        z_slot = -bd / 2 + T
    else:
        bw, bd, bh = W * rng.uniform(1.2, 2.0), T * rng.uniform(2.0, 4.0), H * rng.uniform(0.1, 0.25)
        o = rounded_rect(bw, bd, rng.uniform(0.0, 0.5) * bd, 3)
        parts = [Convex(np.concatenate([np.c_[o[:, 0], np.zeros(len(o)), o[:, 1]], np.c_[o[:, 0] * 0.9, np.full(len(o), bh), o[:, 1] * 0.8]]),
                        "body")]
        z_slot = 0.0
    parts += placed(hand, rot_x(-tilt), [0, bh * 0.35, z_slot])
    return parts


def candlestick(rng):
    """A 1920s candlestick: a round foot, a tall stem with the mouthpiece on top, the earpiece on a hook."""
    R = rng.uniform(0.05, 0.08)
    H = rng.uniform(0.22, 0.34)
    parts = lathe([[0, R], [0.015, R * 0.95], [0.04, R * 0.5], [0.06, R * 0.25]], "body", sides=14)
    if rng.random() < 0.5:
        parts += lathe([[0, R * 0.6], [0.006, R * 0.6], [0.01, R * 0.2]], "keys", [0, 0.04, R * 0.5], (0, 0.5, 1), 12)
    parts.append(bar([0, 0.05, 0], [0, H, 0], rng.uniform(0.012, 0.02), "body", round_=True))
    tilt = rng.uniform(0.2, 0.7)
    n = np.array([0, np.sin(tilt), np.cos(tilt)])
    parts += lathe([[0, 0.012], [0.03, 0.022], [0.05, 0.03]], "handset", [0, H - 0.01, 0], n, 12)
    side = rng.choice([-1, 1])
    hook = np.array([side * 0.03, H * rng.uniform(0.6, 0.85), 0])
    parts.append(bar([0, hook[1] - 0.01, 0], hook, 0.01, "body"))
    L = rng.uniform(0.06, 0.1)
    parts += lathe([[0, 0.022], [0.02, 0.02], [L, 0.01]], "handset", hook + [0.01 * side, -L + 0.01, 0], (0, 1, 0), 12)
    parts += cord(rng, hook + [0.01 * side, -L + 0.01, 0], [side * R * 0.9, 0.01, 0])
    return parts


def rotary(rng):
    """A retro set: a body rising to a cradle with two prongs, a dial on its sloped front, the handset across
    the top; or a candlestick phone."""
    if rng.random() < 0.3:
        return candlestick(rng)
    w, d = rng.uniform(0.16, 0.24), rng.uniform(0.16, 0.24)
    h = rng.uniform(0.07, 0.14)
    k = rng.uniform(0.45, 0.8)
    fz = rng.uniform(0.0, 0.3)  # how far the top sits back
    body = Convex([[sx * w / 2, 0, sz * d / 2] for sx in (-1, 1) for sz in (-1, 1)] +
                  [[sx * w / 2 * k, h, -d / 2 * k + (sz + 1) / 2 * d * k * (1 - fz)] for sx in (-1, 1) for sz in (-1, 1)], "body")
    parts = [body]
    # the dial on the front slope
    top_front = np.array([0, h, -d / 2 * k + d * k * (1 - fz)])
    foot_front = np.array([0, 0, d / 2])
    c = (top_front + foot_front) / 2
    n = np.cross(foot_front - top_front, [1, 0, 0])
    n /= np.linalg.norm(n)
    if n[2] < 0:
        n = -n
    rd = min(w, np.linalg.norm(foot_front - top_front)) * rng.uniform(0.3, 0.42)
    parts += lathe([[0, rd], [0.006, rd], [0.012, rd * 0.35]], "keys", c - n * 0.002, n, 16)
    prong = rng.uniform(0.015, 0.04)
    L = rng.uniform(0.18, 0.24)
    zc = (-d / 2 * k + top_front[2]) / 2
    for sx in (-1, 1):
        parts.append(bar([sx * w * k * 0.35, h - 0.005, zc], [sx * w * k * 0.4, h + prong, zc], 0.015, "body"))
    hs, end = handset(rng, L, rng.uniform(0.02, 0.028), 0.0)
    parts += placed(hs, np.eye(3), [0, h + prong - 0.004, zc])
    parts += cord(rng, end + [0, h + prong, zc], [w / 2 * k, h * 0.3, 0.0])
    return parts


BUILDERS = {"smartphone": smartphone, "foldable": foldable, "keypad": keypad, "flip": flip, "slider": slider, "rugged": rugged,
            "desk": desk, "cordless": cordless, "rotary": rotary}
assert tuple(BUILDERS) == FAMILIES


def _colours(rng, family):
    """Per-part RGB and (shininess, specular): black, white, silver or coloured glossy plastic and glass; grey
    or ivory desk phones, black or red rotary sets."""
    kind = rng.choice(["black", "white", "silver", "colour", "gold"], p=[0.4, 0.15, 0.2, 0.15, 0.1])
    if family == "rotary" and rng.random() < 0.6:
        kind = "colour"
    body = {"black": (0.06, 0.06, 0.07), "white": (0.92, 0.92, 0.9), "silver": (0.72, 0.73, 0.75),
            "colour": hsv(rng.uniform(0, 1), rng.uniform(0.4, 0.9), rng.uniform(0.3, 0.9)), "gold": hsv(0.11, 0.35, 0.85)}[kind]
    screen_c = hsv(rng.uniform(0.55, 0.7), rng.uniform(0.0, 0.4), rng.uniform(0.02, 0.2))
    keys_c = body if rng.random() < 0.4 else ((0.15, 0.15, 0.15) if rng.random() < 0.5 else (0.8, 0.8, 0.8))
    colours = {"body": body, "screen": screen_c, "keys": keys_c, "camera": (0.1, 0.1, 0.1) if rng.random() < 0.6 else body,
               "antenna": (0.08, 0.08, 0.08), "handset": body, "cord": body if rng.random() < 0.5 else (0.1, 0.1, 0.1)}
    return colours, (float(rng.uniform(40, 140)), float(rng.uniform(0.4, 0.8)))


def make(seed, index):
    """(family, parts, colours per part, material) of telephone `index`, a pure function of (seed, index).

    After its family builds it, the phone is stretched by an independent factor per axis, least along the
    height (a phone's aspect ratio is already drawn per family) and set on y = 0."""
    rng = np.random.default_rng([seed, index, SYNSET])
    family = FAMILIES[rng.choice(len(FAMILIES), p=FAMILY_WEIGHTS)]
    parts = BUILDERS[family](rng)
    stretch = np.diag(np.exp(rng.uniform([-0.5, -0.3, -0.5], [0.5, 0.3, 0.5])))
    parts = [p.transformed(stretch) for p in parts]
    low = min(p.verts[:, 1].min() for p in parts)
    parts = [Convex(p.verts - [0, low, 0], p.part) for p in parts]
    colours, material = _colours(rng, family)
    return family, parts, colours, material
