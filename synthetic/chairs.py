"""Procedural chairs: the families, their parts and proportions (geometry only, numpy).

A chair is a list of closed convex parts (synthetic/primitives.py) in raw units (about metres), +y up,
seat front towards +z; `normalisation` brings it to ShapeNetCore v1's frame. The generator aims at
variety a one-view reconstruction has to generalise over: seventeen families, each combining seats,
supports, backs and arms in several styles (straight, tapered, splayed, bent and arched parts, curved
and wrapped backs, slats, ladders, spindles, windows, rings), wide ranges of proportions, an
anisotropic scale per chair and some asymmetric chairs. `make_chair(seed, index)` is a pure function.

The seventeen families: dining, wood and club armchairs, sofas and benches, office chairs on a star or disc base,
stools, bar chairs, cantilever, rocking, folding, lounge, tulip, ladder-back, throne, wingback, bean bag, egg. Parts:
straight, tapered, splayed or bent legs and tubes; flat, rounded, dished or curved seats and backs; nine kinds of
back (slats, ladder, window, splat, spindles, ring ...); arms, stretchers, castors. Every axis is stretched
independently, some chairs lean or are asymmetric, many have through-holes.
"""
import numpy as np

from synthetic.primitives import (Convex, bar, blob, box, cylinder, hsv, ring, rot_x, rounded_rect, sheet, slab, tube)

FAMILIES = ("dining", "wood_armchair", "club_armchair", "sofa_bench", "office", "stool", "bar_chair",
            "cantilever", "rocking", "folding", "lounge", "tulip", "ladder_back", "throne", "wingback",
            "bean_bag", "egg")
FAMILY_WEIGHTS = np.array([10, 7, 6, 6, 8, 6, 5, 6, 5, 4, 5, 5, 4, 4, 5, 3, 4], float)
FAMILY_WEIGHTS /= FAMILY_WEIGHTS.sum()


# ---------------------------------------------------------------------------------------------------
# Seats: the seat's top is at height h, it spans x in [-w/2, w/2], z in [-d/2, d/2].
# ---------------------------------------------------------------------------------------------------
def seat(rng, w, d, h, t, shape):
    if shape == "rect":
        return [box([0, h - t / 2, 0], [w / 2, t / 2, d / 2], part="seat")]
    if shape == "rounded":
        return [slab(rounded_rect(w, d, rng.uniform(0.03, 0.2)), h - t, h)]
    if shape == "round":
        a = 2 * np.pi * np.arange(16) / 16
        return [slab(np.stack([w / 2 * np.cos(a), d / 2 * np.sin(a)], 1), h - t, h)]
    if shape == "trapezoid":  # wider at the front
        back = w * rng.uniform(0.65, 0.9)
        return [slab([[-back / 2, -d / 2], [back / 2, -d / 2], [w / 2, d / 2], [-w / 2, d / 2]], h - t, h)]
    # "bucket": dished, raised at the sides and the front edge
    rise = rng.uniform(0.02, 0.07)

    def surface(u, v):
        return np.stack([(u - 0.5) * w, h - t / 2 + rise * ((2 * u - 1) ** 2 + 0.5 * (2 * v - 1) ** 2), (0.5 - v) * d], -1)

    return sheet(surface, 3, 3, t, "seat")


def under(parts, x, z):
    """(lowest, highest) height of `parts` on the vertical line through (x, z), or None where it misses them."""
    lows, highs = [], []
    for p in parts:
        n, c = p.planes[:, :3], p.planes[:, 3]
        rhs = -(c + n[:, 0] * x + n[:, 2] * z)  # (P,): inside where n_y * y <= rhs for every plane
        up, down, flat = n[:, 1] > 1e-9, n[:, 1] < -1e-9, np.abs(n[:, 1]) <= 1e-9
        if (rhs[flat] < 0).any():
            continue
        lo = np.max(rhs[down] / n[down, 1], initial=-np.inf)
        hi = np.min(rhs[up] / n[up, 1], initial=np.inf)
        if hi - lo > 1e-3:
            lows.append(lo)
            highs.append(hi)
    return (min(lows), max(highs)) if lows else None


def onto(parts, x, z):
    """(x, z, lowest, highest): the point (x, z) moved towards the axis until it lies under `parts`, so a leg
    or an arm placed there is joined to them (round and dished seats have no corners)."""
    for k in np.linspace(1.0, 0.2, 17):
        span = under(parts, x * k, z * k)
        if span is not None:
            return x * k, z * k, span[0], span[1]
    return 0.0, 0.0, *under(parts, 0.0, 0.0)


# ---------------------------------------------------------------------------------------------------
# Supports below the seat, from the floor (y = 0) to the seat's underside y_top.
# ---------------------------------------------------------------------------------------------------
def four_legs(rng, w, d, on, t=None, round_=None, splay=None, taper=None, n=4):
    """Straight, round or square, tapered or splayed legs reaching into the underside of the parts `on`;
    n = 3 puts them on a circle. Returns (parts, feet (n, 3), tops (n, 3), thickness) so stretchers,
    rockers and footrests can join them."""
    t = rng.uniform(0.025, 0.06) if t is None else t
    round_ = rng.random() < 0.45 if round_ is None else round_
    splay = (rng.uniform(0.0, 0.1) if rng.random() < 0.45 else 0.0) if splay is None else splay
    taper = (rng.uniform(0.45, 1.0) if rng.random() < 0.5 else 1.0) if taper is None else taper
    inset = rng.uniform(0.0, 0.06) if rng.random() < 0.4 else 0.0
    if n == 4:
        corners = [np.array([sx * (w / 2 - t / 2 - inset), sz * (d / 2 - t / 2 - inset)]) for sx in (-1, 1) for sz in (-1, 1)]
    else:
        a = np.pi / 2 + 2 * np.pi * np.arange(n) / n
        corners = [np.array([np.cos(b) * (w / 2 - t), np.sin(b) * (d / 2 - t)]) for b in a]
    parts, feet, tops = [], [], []
    for c in corners:
        x, z, low, high = onto(on, c[0], c[1])
        c = np.array([x, z])
        top = np.array([x, low + min(0.015, (high - low) / 2), z])
        out = c / (np.linalg.norm(c) + 1e-9)
        foot = np.array([c[0] + out[0] * splay, 0.0, c[1] + out[1] * splay])
        parts.append(bar(foot, top, t * taper, "frame", round_, thickness_b=t))
        feet.append(foot)
        tops.append(top)
    return parts, np.array(feet), np.array(tops), t


def along(feet, tops, y):
    """(n, 3) points of the legs at height y."""
    s = (y - feet[:, 1]) / (tops[:, 1] - feet[:, 1])
    return feet + (tops - feet) * s[:, None]


def stretchers(rng, feet, tops, t, style):
    """Rails between legs: "h" (sides and middle), "box" (all four sides), "ring" (around), or none."""
    if style == "none":
        return []
    y = rng.uniform(0.08, 0.3) * tops[0, 1]
    p = along(feet, tops, y)
    k = len(p)
    if style == "ring" or k != 4:
        return [bar(p[i], p[(i + 1) % k], t * 0.6) for i in range(k)]
    sides = [bar(p[0], p[1], t * 0.6), bar(p[2], p[3], t * 0.6)]  # left pair (back, front), right pair
    if style == "h":
        return sides + [bar((p[0] + p[1]) / 2, (p[2] + p[3]) / 2, t * 0.6)]
    return sides + [bar(p[0], p[2], t * 0.6), bar(p[1], p[3], t * 0.6)]


def apron(w, d, y_top, depth, t):
    """Boards under the seat's edges between the legs."""
    return [box([0, y_top - depth / 2, sz * (d / 2 - t / 2)], [w / 2 - t, depth / 2, t / 2]) for sz in (-1, 1)] + \
           [box([sx * (w / 2 - t / 2), y_top - depth / 2, 0], [t / 2, depth / 2, d / 2 - t]) for sx in (-1, 1)]


def legs_support(rng, w, d, on, style=None):
    """One of the four-legged supports under the parts `on`, with optional stretchers and apron."""
    parts, feet, tops, t = four_legs(rng, w, d, on)
    parts += stretchers(rng, feet, tops, t, style or rng.choice(["none", "h", "box", "ring"], p=[0.45, 0.2, 0.2, 0.15]))
    if rng.random() < 0.3:
        y_top = min(under(on, 0.0, 0.0)[0], tops[:, 1].min())
        parts += apron(np.ptp(tops[:, 0]) + t, np.ptp(tops[:, 2]) + t, y_top + 0.01, rng.uniform(0.04, 0.12), rng.uniform(0.015, 0.03))
    return parts


def pedestal(rng, y_top, spokes=None, wheels=None, foot="star"):
    """A central column on a star of spokes (with or without castors), a disc, or a trumpet (tulip)."""
    parts = []
    if foot == "trumpet":
        r_base = rng.uniform(0.18, 0.3)
        r_mid = rng.uniform(0.025, 0.06)
        ys = np.array([0.0, 0.02, 0.08, 0.2, 0.45, 1.0]) * y_top
        rs = [r_base, r_base * 0.9, r_base * 0.45, r_mid * 1.4, r_mid, r_mid * rng.uniform(1.0, 2.5)]
        for i in range(len(ys) - 1):
            parts.append(Convex(np.concatenate([ring([0, ys[i], 0], [0, 1, 0], rs[i], 16),
                                                ring([0, ys[i + 1] + (0.01 if i == len(ys) - 2 else 0), 0], [0, 1, 0], rs[i + 1], 16)])))
        return parts
    column_r = rng.uniform(0.02, 0.045)
    if foot == "disc":
        r = rng.uniform(0.17, 0.3)
        th = rng.uniform(0.015, 0.04)
        parts.append(cylinder([0, th / 2, 0], r, th / 2))
        parts.append(cylinder([0, (th + y_top) / 2 + 0.005, 0], column_r, (y_top - th) / 2 + 0.01))
        return parts
    spokes = int(rng.choice([4, 5])) if spokes is None else spokes
    wheels = rng.random() < 0.7 if wheels is None else wheels
    length = rng.uniform(0.22, 0.36)
    wheel = rng.uniform(0.025, 0.045) if wheels else 0.0
    base_y = 2 * wheel + 0.02
    parts.append(cylinder([0, (base_y + y_top) / 2 + 0.005, 0], column_r, (y_top - base_y) / 2 + 0.01))
    phase = rng.uniform(0, 2 * np.pi)
    drop = rng.uniform(0.0, 0.04)
    for k in range(spokes):
        a = phase + 2 * np.pi * k / spokes
        tip = np.array([np.cos(a) * length, base_y - drop, np.sin(a) * length])
        parts.append(bar([0, base_y, 0], tip, rng.uniform(0.03, 0.045)))
        if wheels:
            parts.append(cylinder(tip - [0, wheel + 0.005, 0], wheel, wheel * 0.6, axis=[-np.sin(a), 0, np.cos(a)]))
    return parts


def rockers(rng, feet, t):
    """A curved runner under each side, through the feet of the back and front legs (feet lifted)."""
    parts = []
    lift = rng.uniform(0.04, 0.1)
    over = rng.uniform(0.05, 0.2)
    for i, j in ((0, 1), (2, 3)):
        a, b = feet[i], feet[j]
        s = np.linspace(-over, 1 + over, 9)
        pts = a + (b - a) * s[:, None]
        pts[:, 1] = lift * (2 * s - 1) ** 2 * 0.9 + t / 2
        parts += tube(pts, t * rng.uniform(0.8, 1.3), round_=rng.random() < 0.5)
    return parts


# ---------------------------------------------------------------------------------------------------
# Backs: a curved sheet rising from the seat's rear edge, with holes cut as patterns of dropped cells.
# ---------------------------------------------------------------------------------------------------
BACK_STYLES = ("solid", "frame", "slats", "ladder", "window", "splat", "upper", "spindles", "ring")


def back_mask(style, nu, nv, rng):
    """(nu, nv) bool: the cells a back style keeps (u across, v up). Every style stays one piece."""
    keep = np.ones((nu, nv), bool)
    if style == "frame":
        keep[1:-1, 1:-1] = False
    elif style == "slats":
        keep[1:-1, :-1] = False
        keep[2:-1:2, :] = True
        keep[:, 0] |= rng.random() < 0.5
    elif style == "ladder":
        keep[1:-1, :] = False
        keep[1:-1, nv - 1::-2] = True
    elif style == "window":
        keep[1:-1, nv // 3:nv - 1] = False
    elif style == "splat":
        keep[1:-1, :-1] = False
        keep[nu // 2, :] = True
    elif style == "upper":  # a panel held on two posts above a gap
        keep[1:-1, :nv // 2] = False
    return keep


def back(rng, w, d, h, height, tilt, thickness, style=None, wrap=None, z0=None, nu=None, nv=None, part="back"):
    """A back of `height` along its axis, tilted back by `tilt`, wrapping around the seat by `wrap` radians
    per side (0 flat, ~1.5 a tub), with a lumbar curve, a taper and an arched or cut top."""
    style = rng.choice(BACK_STYLES) if style is None else style
    wrap = (rng.uniform(0, 0.9) if rng.random() < 0.5 else 0.0) if wrap is None else wrap
    z0 = -d / 2 + thickness / 2 if z0 is None else z0
    lumbar = rng.uniform(-0.05, 0.04) if rng.random() < 0.5 else 0.0
    taper = rng.uniform(-0.35, 0.25) if rng.random() < 0.5 else 0.0
    crest = rng.uniform(-0.15, 0.3) if rng.random() < 0.4 else 0.0
    roll, shift = (rng.uniform(-0.3, 0.3), rng.uniform(-0.15, 0.15) * w) if rng.random() < 0.15 else (0.0, 0.0)  # asymmetric
    up = np.array([0.0, np.cos(tilt), -np.sin(tilt)])
    fwd = np.array([0.0, np.sin(tilt), np.cos(tilt)])

    def surface(u, v):
        width = w * (1 + taper * v)
        phi = (2 * u - 1) * max(wrap, 1e-3)
        radius = width / 2 / np.sin(max(wrap, 1e-3))
        x = radius * np.sin(phi)
        z = z0 + radius * (1 - np.cos(phi))
        s = v * height * (1 + crest * (1 - (2 * u - 1) ** 2))
        x, s = x * np.cos(roll) - s * np.sin(roll) + shift, x * np.sin(roll) + s * np.cos(roll)
        p = np.stack([x, np.full_like(x, h - 0.02), z], -1)
        return p + s[..., None] * up + (lumbar * np.sin(np.pi * v))[..., None] * fwd

    nu = int(rng.choice([3, 5])) if nu is None else nu
    nv = int(rng.choice([3, 4, 5])) if nv is None else nv
    if style in ("spindles", "ring"):  # a top rail on two posts, spindles or a ring between them
        keep = np.zeros((nu, nv), bool)
        keep[[0, -1], :] = True
        keep[:, -1] = True
        parts = sheet(surface, nu, nv, thickness, part, keep)
        top = surface(np.linspace(0, 1, 2 * nu + 1)[1:-1], np.full(2 * nu - 1, (nv - 0.5) / nv))
        bottom = surface(np.linspace(0, 1, 2 * nu + 1)[1:-1], np.zeros(2 * nu - 1))
        if style == "spindles":
            count = int(rng.integers(3, 8))
            pick = np.linspace(0, len(top) - 1, count + 2)[1:-1].round().astype(int)
            for i in pick:
                parts.append(bar(bottom[i], top[i], thickness * rng.uniform(0.5, 0.9), part, round_=True))
        else:
            centre = surface(np.array(0.5), np.array(0.5 - 0.5 / nv))
            rx, ry = w * rng.uniform(0.2, 0.33), height * rng.uniform(0.2, 0.35)
            a = 2 * np.pi * np.arange(10) / 10
            loop = centre + rx * np.cos(a)[:, None] * [1, 0, 0] + ry * np.sin(a)[:, None] * up
            parts += tube(loop, thickness, part, closed=True)
            parts.append(bar(centre - ry * up, surface(np.array(0.5), np.array(0.0)), thickness, part))
            parts.append(bar(centre + ry * up, surface(np.array(0.5), np.array(1 - 0.5 / nv)), thickness, part))
            parts.append(bar(centre - rx * np.array([1.0, 0, 0]), surface(np.array(0.5 / nu), np.array(0.5 - 0.5 / nv)), thickness, part))
            parts.append(bar(centre + rx * np.array([1.0, 0, 0]), surface(np.array(1 - 0.5 / nu), np.array(0.5 - 0.5 / nv)), thickness, part))
        return parts
    return sheet(surface, nu, nv, thickness, part, back_mask(style, nu, nv, rng))


# ---------------------------------------------------------------------------------------------------
# Arms.
# ---------------------------------------------------------------------------------------------------
def arms(rng, w, d, h, style, sides=(-1, 1), top=None, on=None):
    """Arms on the given sides: "posts" (a rest on a front post), "panel" (a solid side from the floor),
    "loop" (a bent tube from the back down to the seat front) or "sled" (a tube from the floor). Posts,
    loops and sleds end inside the parts `on` (the seat)."""
    top = h + rng.uniform(0.15, 0.3) if top is None else top
    t = rng.uniform(0.03, 0.07)
    parts = []
    for sx in sides:
        x = sx * (w / 2 + t / 2 - 0.01)
        if style == "posts":
            x, front, low, _ = onto(on, sx * (w / 2 - t / 2), d / 2 - t / 2 - rng.uniform(0.0, 0.12))
            front += t / 2
            parts.append(bar([x, low, front - t / 2], [x, top, front - t / 2], t, round_=rng.random() < 0.4))
            length = d * rng.uniform(0.75, 1.05)
            parts.append(box([x, top + t / 2 - 0.005, front - length / 2], [t * rng.uniform(0.6, 1.3), t / 2, length / 2], part="seat"))
        elif style == "panel":
            aw = rng.uniform(0.06, 0.2)
            xa = sx * (w / 2 + aw / 2 - 0.01)
            front = d / 2 * rng.uniform(0.8, 1.05)
            outline = rounded_rect(aw, d / 2 + front, rng.uniform(0.0, aw / 2)) + [0, (front - d / 2) / 2]
            parts.append(Convex(np.concatenate([np.stack([xa + outline[:, 0], np.full(len(outline), y), outline[:, 1]], 1)
                                                for y in (rng.uniform(0.0, h * 0.6), top)]), "back"))
        elif style == "loop":
            a = np.linspace(0, np.pi, 9)
            reach = d * rng.uniform(0.6, 0.8)
            x0, _, low0, high0 = onto(on, sx * (w / 2 - t / 2), -reach / 2)
            x1, _, low1, high1 = onto(on, sx * (w / 2 - t / 2), reach / 2)
            x = sx * min(abs(x0), abs(x1))
            ends = np.interp(a, [0, np.pi], [(low0 + high0) / 2, (low1 + high1) / 2])
            pts = np.stack([np.full(9, x), ends + (top - h) * np.sin(a), -reach / 2 * np.cos(a)], 1)
            parts += tube(pts, t * 0.8)
        else:  # "sled": from the floor at the front up to the arm rest and back to the back
            front = d / 2 + rng.uniform(-0.05, 0.05)
            x_end, z_end, low, high = onto(on, x, -d / 4)
            pts = [[x, 0.02, front], [x, top, front - 0.05], [x, top, z_end], [x_end, (low + high) / 2, z_end]]
            parts += tube(pts, t * 0.7, round_=rng.random() < 0.6)
    return parts


# ---------------------------------------------------------------------------------------------------
# Families.
# ---------------------------------------------------------------------------------------------------
def _dims(rng, w=(0.38, 0.62), d=(0.36, 0.6), h=(0.38, 0.52), t=(0.02, 0.08)):
    return rng.uniform(*w), rng.uniform(*d), rng.uniform(*h), rng.uniform(*t)


def _seat_shape(rng):
    return rng.choice(["rect", "rounded", "round", "trapezoid", "bucket"], p=[0.35, 0.25, 0.1, 0.15, 0.15])


def dining(rng, with_arms=False):
    w, d, h, t = _dims(rng)
    top = seat(rng, w, d, h, t, _seat_shape(rng))
    parts = top + legs_support(rng, w, d, top)
    tilt = rng.uniform(-0.05, 0.35)
    parts += back(rng, w * rng.uniform(0.8, 1.0), d, h, rng.uniform(0.25, 0.7), tilt, rng.uniform(0.025, 0.06))
    if with_arms:
        parts += arms(rng, w, d, h, rng.choice(["posts", "loop", "sled"], p=[0.6, 0.25, 0.15]), on=top)
    return parts


def wood_armchair(rng):
    return dining(rng, with_arms=True)


def club_armchair(rng):
    """Upholstered: a block or legs under a thick cushion, thick back (flat or wrapped), panel arms."""
    w, d, h, _ = _dims(rng, w=(0.5, 0.85), d=(0.5, 0.8), h=(0.35, 0.48))
    leg = rng.uniform(0.02, 0.2)
    cushion = rng.uniform(0.08, 0.2)
    parts = [box([0, (leg + h - cushion) / 2, 0], [w / 2, (h - cushion - leg) / 2 + 0.01, d / 2])]
    parts += seat(rng, w, d, h, cushion, rng.choice(["rect", "rounded"]))
    parts += four_legs(rng, w, d, parts[:1], t=rng.uniform(0.03, 0.06), splay=0.0)[0]
    asym = rng.random() < 0.2
    sides = ((-1,) if rng.random() < 0.5 else (1,)) if asym else (-1, 1)
    if rng.random() < 0.85:
        parts += arms(rng, w, d, h, "panel", sides=sides)
    parts += back(rng, w, d, h - cushion * 0.5, rng.uniform(0.3, 0.6), rng.uniform(0.0, 0.3), rng.uniform(0.08, 0.2),
                  style="solid", wrap=rng.uniform(0.0, 1.3))
    return parts


def sofa_bench(rng):
    w, d, h, t = _dims(rng, w=(0.9, 2.2), d=(0.4, 0.9), h=(0.35, 0.5))
    if rng.random() < 0.5:  # bench: thin seat on legs or panels, maybe a back
        parts = seat(rng, w, d, h, t, rng.choice(["rect", "rounded"]))
        if rng.random() < 0.5:
            parts += legs_support(rng, w, d, parts)
        else:
            pt = rng.uniform(0.03, 0.08)
            for sx in (-1, 1):
                x = sx * (w / 2 - pt / 2 - rng.uniform(0.0, 0.2))
                parts.append(box([x, (h - t) / 2 + 0.005, 0], [pt / 2, (h - t) / 2 + 0.01, d / 2 * rng.uniform(0.6, 1.0)]))
        if rng.random() < 0.6:
            parts += back(rng, w, d, h, rng.uniform(0.2, 0.45), rng.uniform(0.0, 0.25), 0.035, nu=7,
                          style=rng.choice(["solid", "slats", "frame", "ladder", "upper"]), wrap=0.0)
        return parts
    leg = rng.uniform(0.02, 0.12)
    parts = [box([0, (leg + h) / 2, 0], [w / 2, (h - leg) / 2 + 0.01, d / 2], part="seat")]
    parts += four_legs(rng, w, d, parts, t=0.05, splay=0.0)[0]
    n = int(rng.integers(1, 4))  # seat cushions
    for k in range(n):
        cw = w / n
        parts.append(box([-w / 2 + cw * (k + 0.5), h + 0.03, 0.02], [cw / 2 - 0.01, 0.05, d / 2 - 0.01], part="seat"))
    parts += back(rng, w, d, h, rng.uniform(0.25, 0.5), rng.uniform(0.05, 0.3), rng.uniform(0.1, 0.22), style="solid",
                  wrap=rng.uniform(0.0, 0.5), nu=5)
    if rng.random() < 0.5:  # loose back cushions leaning on the back
        for k in range(n):
            cw = w / n
            parts.append(blob([-w / 2 + cw * (k + 0.5), h + 0.18, -d / 2 + 0.12], [cw / 2, 0.18, 0.08], rng))
    if rng.random() < 0.3:  # a chaise end: the seat runs forward on one side (an L-shaped sofa)
        side, ext, cw = rng.choice([-1, 1]), d * rng.uniform(0.5, 1.0), w * rng.uniform(0.3, 0.45)
        parts.append(box([side * (w / 2 - cw / 2), (leg + h) / 2, d / 2 + ext / 2 - 0.01], [cw / 2, (h - leg) / 2 + 0.01, ext / 2], part="seat"))
    style = rng.choice(["panel", "panel", "none"])
    if style != "none":
        parts += arms(rng, w, d, h, style, sides=(-1, 1) if rng.random() < 0.8 else (int(rng.choice([-1, 1])),))
    return parts


def office(rng):
    w, d, h, t = _dims(rng, h=(0.42, 0.6), t=(0.04, 0.1))
    top = seat(rng, w, d, h, t, rng.choice(["rounded", "bucket", "rect"]))
    parts = top + pedestal(rng, h - t)
    gap = rng.uniform(0.0, 0.12)
    tilt = rng.uniform(0.05, 0.35)
    z = -d / 2 - 0.01
    if gap > 0.02:
        parts.append(bar([0, h - t - 0.01, -d / 3], [0, h - t - 0.01, z], 0.05))
        parts.append(bar([0, h - t - 0.02, z], [0, h + gap + 0.05, z - gap * np.sin(tilt)], 0.05))
    parts += back(rng, w * rng.uniform(0.8, 1.05), d, h + gap, rng.uniform(0.3, 0.8), tilt, rng.uniform(0.03, 0.08),
                  style=rng.choice(["solid", "frame", "window", "upper"], p=[0.55, 0.2, 0.15, 0.1]), z0=z)
    if rng.random() < 0.55:
        parts += arms(rng, w, d, h, rng.choice(["posts", "loop"], p=[0.8, 0.2]), on=top)
    return parts


def stool(rng, high=False):
    h = rng.uniform(0.62, 0.85) if high else rng.uniform(0.35, 0.75)
    r = rng.uniform(0.15, 0.25)
    t = rng.uniform(0.03, 0.09)
    shape = rng.choice(["round", "rect", "rounded"])
    w, d = 2 * r, 2 * r * rng.uniform(0.75, 1.2)
    parts = seat(rng, w, d, h, t, shape)
    kind = rng.random()
    if kind < 0.3:
        parts += pedestal(rng, h - t, foot=rng.choice(["disc", "star", "trumpet"]), wheels=False)
        if high or rng.random() < 0.3:  # foot ring around the column
            y = h * rng.uniform(0.25, 0.4)
            a = 2 * np.pi * np.arange(12) / 12
            parts += tube(np.stack([0.18 * np.cos(a), np.full(12, y), 0.18 * np.sin(a)], 1), 0.02, closed=True)
            parts += [bar([0, y, 0], [0.18 * np.cos(b), y, 0.18 * np.sin(b)], 0.02) for b in (0.0, np.pi)]
    else:
        n = 3 if shape == "round" and rng.random() < 0.5 else 4
        legs, feet, tops, lt = four_legs(rng, w, d, parts, n=n, splay=rng.uniform(0.0, 0.12))
        parts += legs + stretchers(rng, feet, tops, lt, "ring" if high else rng.choice(["none", "ring", "box"]))
    return parts


def bar_chair(rng):
    parts = stool(rng, high=True)
    verts = np.concatenate([p.verts for p in parts])
    h = verts[:, 1].max()
    w = np.ptp(verts[verts[:, 1] > h - 0.02][:, 0])
    d = np.ptp(verts[verts[:, 1] > h - 0.02][:, 2])
    parts += back(rng, w * rng.uniform(0.8, 1.0), d, h, rng.uniform(0.15, 0.45), rng.uniform(0.0, 0.3),
                  rng.uniform(0.03, 0.06), wrap=rng.uniform(0.0, 1.2))
    return parts


def cantilever(rng):
    """A bent tube frame: floor runners, a curved upright to the seat front, the seat support, back posts."""
    w, d, h, t = _dims(rng, t=(0.02, 0.06))
    tube_t = rng.uniform(0.022, 0.04)
    round_ = rng.random() < 0.7
    top = seat(rng, w, d, h, t, rng.choice(["rect", "rounded"]))
    parts = list(top)
    front = d / 2 + rng.uniform(-0.05, 0.12)
    back_z = -d / 2 + rng.uniform(-0.1, 0.15)
    y1 = h - t - tube_t * 0.4
    bend = rng.uniform(0.04, 0.12)
    for sx in (-1, 1):
        x = sx * (w / 2 - tube_t / 2) * 0.85
        a = np.linspace(-np.pi / 2, np.pi / 2, 6)
        arc = np.stack([np.full(6, x), y1 / 2 + y1 / 2 * np.sin(a), front - bend + bend * np.cos(a) * rng.uniform(0.6, 1.6)], 1)
        path = np.concatenate([[[x, tube_t / 2, back_z]], arc[:1] * [1, 0, 1] + [0, tube_t / 2, 0], arc[1:-1],
                               arc[-1:] * [1, 0, 1] + [0, y1, 0], [[x, y1, -d / 2 + tube_t]]])
        parts += tube(path, tube_t, round_=round_)
    if rng.random() < 0.5:
        parts.append(bar([-(w / 2 - tube_t / 2), tube_t / 2, back_z], [w / 2 - tube_t / 2, tube_t / 2, back_z], tube_t, round_=round_))
    parts += back(rng, w, d, h, rng.uniform(0.3, 0.55), rng.uniform(0.05, 0.35), rng.uniform(0.02, 0.05))
    if rng.random() < 0.3:
        parts += arms(rng, w, d, h, "loop", on=top)
    return parts


def rocking(rng):
    w, d, h, t = _dims(rng, h=(0.35, 0.48))
    top = seat(rng, w, d, h, t, rng.choice(["rect", "rounded", "trapezoid"]))
    legs, feet, tops, lt = four_legs(rng, w, d, top, splay=0.0, taper=1.0)
    runners = rockers(rng, feet, lt)
    parts = top + legs + runners
    parts += back(rng, w, d, h, rng.uniform(0.45, 0.85), rng.uniform(0.15, 0.45), rng.uniform(0.025, 0.05),
                  style=rng.choice(["spindles", "ladder", "slats", "solid", "frame"]))
    if rng.random() < 0.6:
        parts += arms(rng, w, d, h, "posts", on=top)
    return parts


def folding(rng):
    """X-shaped legs seen from the side, a thin seat and a slim back."""
    w, d, h, t = _dims(rng, t=(0.015, 0.04))
    lt = rng.uniform(0.02, 0.035)
    parts = seat(rng, w, d, h, t, rng.choice(["rect", "rounded"]))
    reach = rng.uniform(0.0, 0.1)
    for sx in (-1, 1):
        x = sx * (w / 2 + lt / 2)
        parts.append(bar([x, 0, -d / 2 - reach], [x, h - t / 2, d / 2 - 0.02], lt))
        parts.append(bar([x, 0, d / 2 + reach], [x, h - t / 2, -d / 2 + 0.02], lt))
    for z in (-d / 2 - reach + 0.01, d / 2 + reach - 0.01):
        parts.append(bar([-w / 2 - lt, 0.015, z], [w / 2 + lt, 0.015, z], lt, round_=True))
    parts += back(rng, w, d, h, rng.uniform(0.3, 0.5), rng.uniform(0.05, 0.25), 0.025,
                  style=rng.choice(["solid", "upper", "ladder", "slats"]), wrap=0.0, z0=-d / 2 + 0.01)
    return parts


def lounge(rng):
    """A chaise or lounge chair: one long curved profile (seat running into a reclined back) on legs or sleds."""
    w = rng.uniform(0.5, 0.8)
    length = rng.uniform(0.9, 1.7)
    h = rng.uniform(0.2, 0.42)
    t = rng.uniform(0.04, 0.14)
    back_len = rng.uniform(0.35, 0.75)
    recline = rng.uniform(0.35, 1.0)
    knee = rng.uniform(0.0, 0.12)

    taper = rng.uniform(-0.3, 0.3)

    def surface(u, v):  # v from the foot end (front, +z) to the top of the back
        s = v * (length + back_len)
        on_back = s > length
        z = np.where(on_back, -length / 2 - (s - length) * np.sin(recline), length / 2 - s)
        y = np.where(on_back, h + (s - length) * np.cos(recline), h + knee * np.sin(np.pi * np.clip(s / length, 0, 1)) ** 2)
        return np.stack([(u - 0.5) * w * (1 + taper * (2 * v - 1)), y, z], -1)

    parts = sheet(surface, 2, 8, t, "seat")
    if rng.random() < 0.5:  # a head pillow
        top = surface(np.array(0.5), np.array(0.92))
        parts.append(blob(top + [0, 0, 0.04], [w * rng.uniform(0.25, 0.45), 0.07, 0.08], rng, part="back"))
    if rng.random() < 0.5:
        parts += legs_support(rng, w, length, parts, style="none")
    else:
        for sx in (-1, 1):
            x = sx * (w / 2 - 0.03)
            parts += tube([[x, h - t / 2, length / 2 - 0.1], [x, 0.015, length / 2 - 0.15], [x, 0.015, -length / 2 + 0.1],
                           [x, h - t / 2, -length / 2 + 0.05]], rng.uniform(0.025, 0.04))
    if rng.random() < 0.4:
        parts += arms(rng, w, length * 0.6, h, "panel", sides=(-1, 1) if rng.random() < 0.6 else (1,))
    return parts


def tulip(rng):
    """A moulded shell (seat and wrapped back in one piece) on a trumpet, disc or star pedestal."""
    w, d, h, t = _dims(rng, w=(0.4, 0.6), h=(0.4, 0.5), t=(0.03, 0.06))
    parts = seat(rng, w, d, h, t, "bucket")
    parts += pedestal(rng, h - t, foot=rng.choice(["trumpet", "disc", "star"]), wheels=False)
    parts += back(rng, w * rng.uniform(0.9, 1.1), d, h + 0.02, rng.uniform(0.2, 0.5), rng.uniform(0.0, 0.3), t,
                  style=rng.choice(["solid", "solid", "window"]), wrap=rng.uniform(0.6, 1.6))
    return parts


def ladder_back(rng):
    """Tall back posts continuing the back legs, horizontal rungs between them."""
    w, d, h, t = _dims(rng, t=(0.025, 0.05))
    top = seat(rng, w, d, h, t, rng.choice(["rect", "trapezoid"]))
    legs, feet, tops, lt = four_legs(rng, w, d, top, splay=0.0, taper=1.0, round_=rng.random() < 0.7)
    parts = top + legs
    parts += stretchers(rng, feet, tops, lt, rng.choice(["box", "h"]))
    height = rng.uniform(0.45, 0.95)
    tilt = rng.uniform(0.0, 0.25)
    up = np.array([0, np.cos(tilt), -np.sin(tilt)])
    posts = [np.array([feet[i][0], h - t, feet[i][2]]) for i in (0, 2)]
    for p in posts:
        parts.append(bar(p, p + up * height, lt, round_=True))
    for k in range(int(rng.integers(2, 6))):
        s = height * (0.35 + 0.6 * (k + 1) / 6)
        parts.append(box((posts[0] + posts[1]) / 2 + up * s, [abs(posts[1][0] - posts[0][0]) / 2, rng.uniform(0.02, 0.05), 0.012],
                         rot_x(-tilt), "back"))
    return parts


def throne(rng):
    """A tall, heavy chair: plinth base, very high back with a crest, broad arms."""
    w, d, h, t = _dims(rng, w=(0.55, 0.85), d=(0.5, 0.7), h=(0.4, 0.55), t=(0.06, 0.14))
    base = rng.uniform(0.05, 0.2)
    parts = [box([0, base / 2, 0], [w / 2 + 0.05, base / 2, d / 2 + 0.05])]
    parts.append(box([0, (base + h) / 2, 0], [w / 2 * rng.uniform(0.7, 1.0), (h - base) / 2 + 0.01, d / 2 * rng.uniform(0.7, 1.0)]))
    top = seat(rng, w, d, h, t, "rect")
    parts += top
    parts += back(rng, w * rng.uniform(0.9, 1.15), d, h, rng.uniform(0.8, 1.4), rng.uniform(0.0, 0.15), rng.uniform(0.06, 0.15),
                  style=rng.choice(["solid", "window", "frame"]), wrap=rng.uniform(0.0, 0.5))
    parts += arms(rng, w, d, h, rng.choice(["panel", "posts"]), top=h + rng.uniform(0.2, 0.4), on=top)
    return parts


def wingback(rng):
    """Upholstered, a tall back whose top corners turn forward into wings."""
    parts = club_armchair(rng)
    verts = np.concatenate([p.verts for p in parts])
    w = np.ptp(verts[:, 0]) * rng.uniform(0.8, 0.95)
    top = verts[:, 1].max()
    back_z = verts[:, 2].min()
    wing_d = rng.uniform(0.15, 0.35)
    wing_h = rng.uniform(0.2, 0.4)
    wt = rng.uniform(0.04, 0.08)
    for sx in (-1, 1):
        x = sx * (w / 2 - wt / 2)
        pts = [[x - wt / 2, top - wing_h, back_z + 0.02], [x + wt / 2, top - wing_h, back_z + 0.02],
               [x - wt / 2, top, back_z + 0.02], [x + wt / 2, top, back_z + 0.02],
               [x - wt / 2, top - wing_h * rng.uniform(0.3, 0.8), back_z + wing_d],
               [x + wt / 2, top - wing_h * rng.uniform(0.3, 0.8), back_z + wing_d],
               [x - wt / 2, top - wing_h * 1.6, back_z + wing_d * 0.8], [x + wt / 2, top - wing_h * 1.6, back_z + wing_d * 0.8]]
        parts.append(Convex(pts, "back"))
    return parts


def bean_bag(rng):
    """Soft lumps: a squashed body and a raised back lump, sometimes a pouf in front."""
    r = rng.uniform(0.3, 0.5)
    parts = [blob([0, r * 0.5, 0], [r, r * rng.uniform(0.45, 0.7), r * rng.uniform(0.8, 1.2)], rng, squash_top=0.1)]
    parts.append(blob([0, r * rng.uniform(0.6, 1.0), -r * 0.5], [r * rng.uniform(0.6, 0.95), r * rng.uniform(0.5, 0.9), r * 0.4],
                      rng, part="back"))
    if rng.random() < 0.3:
        pr = r * rng.uniform(0.3, 0.5)
        parts.append(blob([0, pr * 0.6, r * 0.7 + pr * 0.7], [pr, pr * 0.6, pr], rng))
    return parts


def egg(rng):
    """A deep shell wrapping around the sitter (egg, ball or hanging-style chair) on a pedestal."""
    h = rng.uniform(0.3, 0.45)
    radius = rng.uniform(0.35, 0.55)
    height = rng.uniform(0.6, 1.1)
    depth_front = rng.uniform(0.15, 0.5)
    t = rng.uniform(0.04, 0.08)
    bulge = rng.uniform(0.9, 1.3)

    tilt = rng.uniform(0.0, 0.35)

    def surface(u, v):  # u around the sitter (open at the front), v from the shell's bottom to its top
        a = (2 * u - 1) * (np.pi - depth_front * 2)
        r = radius * (0.35 + 0.65 * np.abs(np.sin(np.pi * (0.15 + 0.8 * v))) ** bulge)
        return np.stack([r * np.sin(a), h + v * height * np.cos(tilt), -r * np.cos(a) - v * height * np.sin(tilt)], -1)

    parts = sheet(surface, 6, 4, t, "back")
    rim = np.linalg.norm(surface(np.array(0.5), np.array(0.0))[[0, 2]])  # the shell's bottom edge radius
    parts.append(cylinder([0, h, 0], rim, 0.04, part="seat"))  # a cushion closing the shell's bottom
    if rng.random() < 0.35:
        parts += four_legs(rng, rim * 1.2, rim * 1.2, parts[-1:], splay=rng.uniform(0.05, 0.2))[0]
    else:
        parts += pedestal(rng, h, foot=rng.choice(["disc", "star", "trumpet"]), wheels=False)
    return parts


BUILDERS = {"dining": dining, "wood_armchair": wood_armchair, "club_armchair": club_armchair, "sofa_bench": sofa_bench,
            "office": office, "stool": stool, "bar_chair": bar_chair, "cantilever": cantilever, "rocking": rocking,
            "folding": folding, "lounge": lounge, "tulip": tulip, "ladder_back": ladder_back, "throne": throne,
            "wingback": wingback, "bean_bag": bean_bag, "egg": egg}
assert tuple(BUILDERS) == FAMILIES


def _colours(rng):
    """Per-part RGB and (shininess, specular) of a random material: matte wood, fabric, glossy plastic, metal."""
    material = rng.choice(["wood", "fabric", "plastic", "metal"])

    if material == "wood":
        frame = hsv(rng.uniform(0.05, 0.1), rng.uniform(0.5, 0.8), rng.uniform(0.35, 0.75))
    elif material == "metal":
        g = rng.uniform(0.5, 0.85)
        frame = (g, g, g * rng.uniform(0.95, 1.05))
    else:
        frame = hsv(rng.uniform(0, 1), rng.uniform(0.3, 0.9), rng.uniform(0.3, 0.95))
    same = rng.random() < 0.5
    seat_c = frame if same else hsv(rng.uniform(0, 1), rng.uniform(0.2, 0.9), rng.uniform(0.35, 0.95))
    colours = {"frame": frame, "seat": seat_c, "back": seat_c if rng.random() < 0.7 else frame}
    shininess = {"wood": 10.0, "fabric": 2.0, "plastic": 60.0, "metal": 120.0}[material] * rng.uniform(0.7, 1.3)
    specular = {"wood": 0.15, "fabric": 0.03, "plastic": 0.5, "metal": 0.8}[material]
    return colours, (float(shininess), float(specular))


def make_chair(seed, index):
    """(family, parts, colours per part, material) of chair `index`, a pure function of (seed, index).

    After its family builds it, the chair is stretched by an independent factor per axis and often
    sheared (leaning forward or back, rarely sideways), so no two chairs share their proportions."""
    rng = np.random.default_rng([seed, index])
    family = FAMILIES[rng.choice(len(FAMILIES), p=FAMILY_WEIGHTS)]
    parts = BUILDERS[family](rng)
    stretch = np.diag(np.exp(rng.uniform(-0.5, 0.5, 3)))  # (3, 3) per-axis scale, 0.61 to 1.65
    shear = np.eye(3)
    shear[2, 1] = rng.uniform(-0.3, 0.3) if rng.random() < 0.7 else 0.0  # z += k * y
    shear[0, 1] = rng.uniform(-0.15, 0.15) if rng.random() < 0.25 else 0.0  # x += k * y
    parts = [p.transformed(shear @ stretch) for p in parts]
    colours, material = _colours(rng)
    return family, parts, colours, material
