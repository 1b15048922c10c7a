"""Procedural airplanes (ShapeNet synset 02691156): the families, their parts and proportions (numpy only).

An airplane is a list of closed convex parts (synthetic/primitives.py) in raw units (about metres), +y up,
nose towards +z, wings along x, as the chairs are. ShapeNet's airplanes are mostly airliners and fighters,
but a one-view reconstruction has to tell a slender glider from a stubby fighter from a biplane from the
silhouette alone, and to place engines, fins and wings it cannot see from the back. So the families differ
in what matters in a view: the span against the length (a glider's wings are twice its length, a delta's
half), the sweep and planform (straight, swept, delta, cranked, flying wing), where the wing sits (low,
mid, high, two of them), the tail (conventional, T, twin canted fins, none) and the engines (under the
wings, on the rear fuselage, propellers in the nose or on the wings, buried in the body with intakes).
Within a family the fuselage's slenderness, nose and tail cone, the wing's area, taper, sweep and
dihedral, and the engines' count and size all vary widely; an anisotropic stretch per model comes last.
`make(seed, index)` is a pure function.

The nine families: airliner, business jet, fighter, delta, glider, light propeller plane, biplane,
turboprop transport, flying wing.
"""
import numpy as np

from synthetic.primitives import Convex, bar, box, cylinder, hsv, ring

FAMILIES = ("airliner", "bizjet", "fighter", "delta", "glider", "light_prop", "biplane", "turboprop", "flying_wing",
            "twin_boom", "seaplane", "shuttle", "drone")
FAMILY_WEIGHTS = np.array([11, 6, 11, 6, 5, 7, 4, 5, 3, 4, 4, 3, 4], float)
FAMILY_WEIGHTS /= FAMILY_WEIGHTS.sum()
SYNSET = 2691156


# ---------------------------------------------------------------------------------------------------
# Building blocks: a lofted fuselage, wing-like panels, nacelles, propellers, landing gear.
# ---------------------------------------------------------------------------------------------------
def _ellipse(z, cx, cy, rx, ry, n=10):
    """(n, 3) points of an ellipse in the plane z = const, around (cx, cy)."""
    a = 2 * np.pi * (np.arange(n) + 0.5) / n
    return np.stack([cx + rx * np.cos(a), cy + ry * np.sin(a), np.full(n, z)], 1)


def loft(sections, part):
    """Convex cells between consecutive sections (K_i, 3): a body that bends and swells along its length."""
    return [Convex(np.concatenate([sections[i], sections[i + 1]]), part) for i in range(len(sections) - 1)]


def fuselage(L, R, nose=0.15, tail=0.3, up=0.7, width=1.0, tip=0.12, droop=0.2, tail_tip=0.15, part="body", n=10):
    """A tube from z = -L/2 (tail) to L/2 (nose): a rounded nose over `nose` of the length, a tail cone over
    `tail` that rises by `up` (its top stays level when up = 1), sections `width` times wider than high."""
    ts = list(tail * np.array([0.0, 0.35, 0.7])) + [tail, 1 - nose] + list(1 - nose + nose * np.array([0.45, 0.75, 0.92, 1.0]))
    ts = sorted(set(np.clip(ts, 0, 1)))
    secs = []
    for t in ts:
        if t < tail:
            u = t / tail
            r = R * (tail_tip + (1 - tail_tip) * u ** 0.7)
            cy = (R - r) * up
        elif t > 1 - nose:
            v = min((t - (1 - nose)) / nose, 1.0)
            r = R * max((1 - v ** 2) ** 0.5, tip)
            cy = -(R - r) * droop
        else:
            r, cy = R, 0.0
        secs.append(_ellipse(-L / 2 + t * L, 0.0, cy, r * width, r, n))
    return loft(secs, part)


def airfoil(le, chord, t, thick_dir=(0, 1, 0)):
    """(7, 3) points of a wing section from its leading edge `le` back along -z: round nose, thin tail."""
    le, d = np.asarray(le, float), np.asarray(thick_dir, float)
    back = np.array([0, 0, -1.0])
    return np.array([le, le + back * chord * 0.25 + d * t / 2, le + back * chord * 0.25 - d * t / 2,
                     le + back * chord * 0.7 + d * t * 0.3, le + back * chord * 0.7 - d * t * 0.3,
                     le + back * chord + d * t * 0.04, le + back * chord - d * t * 0.04])


def panel(root_le, root_c, tip_le, tip_c, t_root, t_tip=None, thick_dir=(0, 1, 0), part="wing"):
    """A wing, fin or stabiliser panel: the hull of its root and tip sections (sweep, taper, dihedral follow
    from where the tip's leading edge is)."""
    t_tip = t_root * tip_c / root_c if t_tip is None else t_tip
    return Convex(np.concatenate([airfoil(root_le, root_c, t_root, thick_dir), airfoil(tip_le, tip_c, t_tip, thick_dir)]), part)


def wing_pair(y, z_le, half_span, root_c, taper, sweep, dihedral, t, x0=0.0, part="wing", kink=None):
    """Left and right half-wings from x = +-x0 at height y; `sweep` is the leading edge's angle (rad),
    `kink` = (span share, chord share) adds an inner panel (a cranked or glider wing). Returns (parts, le(f))
    where le(f) is the leading edge point at a share f of the span on the right side."""
    tip_c = root_c * taper
    tip = np.array([half_span, y + half_span * np.tan(dihedral), z_le - (half_span - x0) * np.tan(sweep)])
    root = np.array([x0, y, z_le])
    parts = []
    for sx in (-1, 1):
        m = np.array([sx, 1, 1])
        if kink is None:
            parts.append(panel(root * m, root_c, tip * m, tip_c, t, part=part))
        else:
            f, cf = kink
            mid = root + (tip - root) * f
            mid_c = root_c + (tip_c - root_c) * cf
            parts.append(panel(root * m, root_c, mid * m, mid_c, t, part=part))
            parts.append(panel(mid * m, mid_c, tip * m, tip_c, t * mid_c / root_c, part=part))

    def le(f):
        return root + (tip - root) * f

    def chord(f):
        if kink is None:
            return root_c + (tip_c - root_c) * f
        mid_c = root_c + (tip_c - root_c) * kink[1]
        return np.interp(f, [0, kink[0], 1], [root_c, mid_c, tip_c])

    return parts, le, chord


def fin(y, z_le, height, root_c, taper, sweep, t, x=0.0, cant=0.0, part="tail"):
    """A vertical fin rising from (x, y) (its root sits inside whatever is below), canted outwards by `cant`."""
    root = np.array([x, y, z_le])
    tip = root + np.array([np.sin(cant) * height, np.cos(cant) * height, -height * np.tan(sweep)])
    d = (np.cos(cant), -np.sin(cant), 0.0)
    return panel(root, root_c, tip, root_c * taper, t, thick_dir=d, part=part)


def nacelle(centre, r, length, part="engine", n=10):
    """A jet engine pod along z: intake lip, a bulge, a narrower exhaust (one convex part)."""
    c = np.asarray(centre, float)
    secs = [_ellipse(c[2] + length / 2, c[0], c[1], r * 0.92, r * 0.92, n), _ellipse(c[2] + length * 0.2, c[0], c[1], r, r, n),
            _ellipse(c[2] - length / 2, c[0], c[1], r * 0.6, r * 0.6, n)]
    return Convex(np.concatenate(secs), part)


def propeller(centre, radius, blades, rng, part="prop", hub=None):
    """A spinner cone facing +z with `blades` thin twisted blades around it."""
    c = np.asarray(centre, float)
    hub = radius * 0.18 if hub is None else hub
    parts = [Convex(np.concatenate([_ellipse(c[2] - hub * 0.5, c[0], c[1], hub, hub, 8), [c + [0, 0, hub * 1.6]]]), part)]
    phase = rng.uniform(0, np.pi)
    for k in range(blades):
        a = phase + 2 * np.pi * k / blades
        rot = np.array([[np.cos(a), -np.sin(a), 0], [np.sin(a), np.cos(a), 0], [0, 0, 1]])
        twist = np.array([[1, 0, 0], [0, np.cos(0.5), -np.sin(0.5)], [0, np.sin(0.5), np.cos(0.5)]])
        parts.append(box(c + rot @ [radius / 2, 0, 0], [radius / 2, radius * 0.07, radius * 0.012], rot @ twist, part))
    return parts


def gear(points, wheel_r, ground, part="gear"):
    """Fixed landing gear: a strut from each attachment point down to a wheel resting on y = ground."""
    parts = []
    for p in points:
        p = np.asarray(p, float)
        hub = np.array([p[0], ground + wheel_r, p[2]])
        parts.append(bar(p, hub, wheel_r * 0.35, part))
        parts.append(cylinder(hub, wheel_r, wheel_r * 0.35, axis=(1, 0, 0), part="wheel", sides=10))
    return parts


def canopy(z, y, length, width, height, part="glass"):
    """A bubble canopy or cockpit glazing: a squashed half-lozenge sitting on the fuselage at height y."""
    pts = []
    for s, k in ((-0.5, 0.3), (-0.2, 1.0), (0.15, 0.9), (0.5, 0.2)):
        e = _ellipse(z + s * length, 0.0, y, width / 2 * max(k, 0.3), height * k, 8)
        e[:, 1] = np.maximum(e[:, 1], y - height * 0.3)
        pts.append(e)
    return Convex(np.concatenate(pts), part)


# ---------------------------------------------------------------------------------------------------
# Families. L is the fuselage's length, R its radius; the nose is at z = L/2.
# ---------------------------------------------------------------------------------------------------
def _tail(rng, L, R, fus, style, t_scale=1.0):
    """Empennage at the tail end of the fuselage `fus` (its keyword arguments): "conventional", "t", "cross"
    (stabiliser half-way up), "twin" (two fins at the stabiliser tips) or "v"."""
    z_end = -L / 2
    fin_c = rng.uniform(0.1, 0.2) * L
    fin_h = rng.uniform(2.0, 4.0) * R
    sweep = rng.uniform(0.3, 0.9)
    taper = rng.uniform(0.3, 0.8)
    z_fin = z_end + fin_c * rng.uniform(0.85, 1.2)
    u = min((z_fin - z_end) / (fus.get("tail", 0.3) * L), 1.0)
    tip = fus.get("tail_tip", 0.15)
    r = R * (tip + (1 - tip) * u ** 0.7)
    top = (R - r) * fus.get("up", 0.7) + r * 0.85  # the tail cone's top (a little inside) under the fin's leading edge
    parts = []
    st_span = rng.uniform(0.12, 0.22) * L + R
    st_c = fin_c * rng.uniform(0.6, 1.0)
    st_sweep = sweep * rng.uniform(0.5, 1.0)
    st_t = st_c * 0.1 * t_scale
    if style == "v":
        for sx in (-1, 1):
            parts.append(fin(top * 0.6, z_fin, fin_h * 1.2, fin_c, taper, sweep, fin_c * 0.1, cant=sx * rng.uniform(0.5, 0.8)))
        return parts
    if style == "twin":
        y = top * 0.5
        ps, le, _ = wing_pair(y, z_end + st_c * 1.05, st_span * 0.8, st_c, taper, st_sweep, 0.0, st_t, part="tail")
        parts += ps
        tipx = le(1.0)
        for sx in (-1, 1):
            parts.append(fin(tipx[1] - st_t, tipx[2] + st_c * 0.1, fin_h * 0.8, st_c * 1.1, taper, sweep, st_c * 0.08, x=sx * tipx[0] * 0.97))
        return parts
    parts.append(fin(top, z_fin, fin_h, fin_c, taper, sweep, fin_c * 0.12 * t_scale))
    if style == "t":
        h = fin_h
    elif style == "cross":
        h = fin_h * rng.uniform(0.3, 0.6)
    else:
        h = rng.uniform(-0.3, 0.2) * r
    shift = h * np.tan(sweep)
    ps, _, _ = wing_pair(top + h, z_fin - shift + st_c * 0.1 * (style != "t"), st_span, st_c, taper, st_sweep,
                         rng.uniform(-0.05, 0.12), st_t, part="tail")
    return parts + ps


def airliner(rng):
    L = rng.uniform(30, 75)
    R = L * rng.uniform(0.035, 0.09)
    fus = dict(nose=rng.uniform(0.06, 0.12), tail=rng.uniform(0.2, 0.32), up=rng.uniform(0.5, 0.9))
    parts = fuselage(L, R, width=rng.uniform(0.95, 1.05), droop=rng.uniform(0.0, 0.4), **fus)
    rear = rng.random() < 0.2  # engines on the rear fuselage (then a T-tail)
    half_span = L * rng.uniform(0.3, 0.68)
    root_c = L * rng.uniform(0.1, 0.26)
    sweep = rng.uniform(0.15, 0.75)
    y_w = -R * rng.uniform(0.3, 0.75)
    z_w = L * rng.uniform(-0.12, 0.22) + root_c / 2
    ps, le, chord = wing_pair(y_w, z_w, half_span, root_c, rng.uniform(0.15, 0.45), sweep, rng.uniform(0.0, 0.16),
                              root_c * rng.uniform(0.08, 0.14), kink=(0.35, rng.uniform(0.3, 0.7)) if rng.random() < 0.5 else None)
    parts += ps
    if rng.random() < 0.4:  # winglets
        for sx in (-1, 1):
            tip = le(1.0) * [sx, 1, 1]
            parts.append(fin(tip[1], tip[2], R * rng.uniform(1.0, 2.5), chord(1.0), 0.5, 0.6, chord(1.0) * 0.1, x=tip[0], part="wing"))
    r_eng = R * rng.uniform(0.35, 0.65)
    len_eng = r_eng * rng.uniform(3.5, 6.0)
    if rear:
        for sx in (-1, 1):
            c = np.array([sx * (R + r_eng * 1.1), R * 0.4, -L / 2 + L * rng.uniform(0.22, 0.3)])
            parts.append(nacelle(c, r_eng, len_eng))
            parts.append(bar([0, c[1], c[2]], c, r_eng * 0.6, "engine"))
        parts += _tail(rng, L, R, fus, "t")
        return parts
    for f in ((0.35,) if rng.random() < 0.7 else (0.3, 0.6)):
        for sx in (-1, 1):
            p = le(f) * [sx, 1, 1]
            c = p + [0, -r_eng * rng.uniform(1.1, 1.5), len_eng * rng.uniform(0.1, 0.4)]
            parts.append(nacelle(c, r_eng, len_eng))
            parts.append(box([p[0], (c[1] + p[1]) / 2, c[2] - len_eng * 0.1], [r_eng * 0.15, (p[1] - c[1]) / 2 + r_eng * 0.1,
                                                                              len_eng * 0.35], part="engine"))
    parts += _tail(rng, L, R, fus, rng.choice(["conventional", "t", "cross"], p=[0.75, 0.2, 0.05]))
    if rng.random() < 0.35:
        parts += gear_down(rng, L, R, z_w - root_c * 0.6)
    if rng.random() < 0.15:  # an upper deck hump at the front
        parts.append(Convex(np.concatenate([_ellipse(z, 0, R * 0.35, R * 0.7, R * 0.9, 8)
                                            for z in (L / 2 - L * 0.07, L / 2 - L * rng.uniform(0.25, 0.4))]), "body"))
    return parts


def bizjet(rng):
    L = rng.uniform(12, 25)
    R = L * rng.uniform(0.05, 0.08)
    fus = dict(nose=rng.uniform(0.12, 0.2), tail=rng.uniform(0.25, 0.35), up=rng.uniform(0.5, 0.9))
    parts = fuselage(L, R, droop=0.3, **fus)
    half_span = L * rng.uniform(0.32, 0.7)
    root_c = L * rng.uniform(0.12, 0.25)
    ps, le, chord = wing_pair(-R * 0.6, L * rng.uniform(0.0, 0.1) + root_c / 2, half_span, root_c, rng.uniform(0.3, 0.5),
                              rng.uniform(0.2, 0.55), rng.uniform(0.02, 0.1), root_c * 0.12)
    parts += ps
    if rng.random() < 0.6:
        for sx in (-1, 1):
            tip = le(1.0) * [sx, 1, 1]
            parts.append(fin(tip[1], tip[2], R * rng.uniform(0.8, 1.5), chord(1.0), 0.5, 0.7, chord(1.0) * 0.1, x=tip[0], part="wing"))
    r_eng = R * rng.uniform(0.35, 0.6)
    len_eng = r_eng * rng.uniform(3.5, 5.5)
    z = -L / 2 + L * rng.uniform(0.25, 0.33)
    for sx in (-1, 1):
        c = np.array([sx * (R * 0.9 + r_eng * 1.05), R * 0.35, z])
        parts.append(nacelle(c, r_eng, len_eng))
        parts.append(bar([0, c[1], c[2]], c, r_eng * 0.5, "engine"))
    parts += _tail(rng, L, R, fus, rng.choice(["t", "cross"], p=[0.75, 0.25]))
    parts.append(canopy(L / 2 - L * 0.12, R * 0.4, L * 0.08, R * 1.3, R * 0.55))
    if rng.random() < 0.35:
        parts += gear_down(rng, L, R, le(0.0)[2] - root_c * 0.6)
    return parts


def fighter(rng):
    L = rng.uniform(14, 22)
    R = L * rng.uniform(0.045, 0.07)
    width = rng.uniform(1.1, 1.8)
    parts = fuselage(L, R, nose=rng.uniform(0.2, 0.3), tail=rng.uniform(0.05, 0.15), up=0.0, width=width, tip=0.05,
                     droop=0.0, tail_tip=rng.uniform(0.6, 0.9))
    half_span = L * rng.uniform(0.17, 0.42)
    root_c = L * rng.uniform(0.22, 0.5)
    z_w = -L / 2 + L * rng.uniform(0.12, 0.2) + root_c
    ps, le, chord = wing_pair(rng.uniform(-0.3, 0.2) * R, z_w, half_span, root_c, rng.uniform(0.15, 0.4), rng.uniform(0.5, 0.9),
                              rng.uniform(-0.1, 0.03), root_c * 0.05,
                              kink=(rng.uniform(0.15, 0.3), rng.uniform(0.3, 0.5)) if rng.random() < 0.3 else None)
    parts += ps
    # intakes along the sides, from behind the cockpit into the body
    r_in = R * rng.uniform(0.45, 0.75)
    zi0, zi1 = L * rng.uniform(0.05, 0.2), -L * rng.uniform(0.15, 0.3)
    for sx in (-1, 1):
        x = sx * (R * width * 0.8 + r_in * 0.3)
        y = -R * rng.uniform(0.0, 0.4)
        parts.append(Convex(np.concatenate([_ellipse(zi0, x, y, r_in * 0.8, r_in, 6), _ellipse(zi1, x * 0.8, y, r_in, r_in, 6)]), "body"))
    if rng.random() < 0.65:
        cant = rng.uniform(0.15, 0.45)
        for sx in (-1, 1):
            parts.append(fin(R * 0.45, -L / 2 + L * rng.uniform(0.18, 0.25), R * rng.uniform(2.5, 4.0), L * rng.uniform(0.12, 0.18),
                             rng.uniform(0.3, 0.5), rng.uniform(0.5, 0.9), L * 0.01, x=sx * R * width * rng.uniform(0.3, 0.65), cant=sx * cant))
    else:
        parts.append(fin(R * 0.6, -L / 2 + L * rng.uniform(0.18, 0.25), R * rng.uniform(3.0, 4.5), L * rng.uniform(0.15, 0.22),
                         rng.uniform(0.3, 0.5), rng.uniform(0.6, 1.0), L * 0.012))
    st_c = L * rng.uniform(0.1, 0.16)
    ps, _, _ = wing_pair(-R * 0.1, -L / 2 + st_c * 1.05, R * width + L * rng.uniform(0.1, 0.17), st_c, 0.4, rng.uniform(0.5, 0.9),
                         rng.uniform(-0.15, 0.0), st_c * 0.05, part="tail")
    parts += ps
    if rng.random() < 0.25:  # canards
        c_c = L * rng.uniform(0.06, 0.1)
        parts += wing_pair(R * 0.2, zi0 + c_c, R * width + L * 0.08, c_c, 0.4, 0.7, 0.05, c_c * 0.05, part="tail")[0]
    parts.append(canopy(L / 2 - L * rng.uniform(0.22, 0.3), R * 0.6, L * rng.uniform(0.1, 0.18), R * 1.2, R * rng.uniform(0.6, 0.9)))
    if rng.random() < 0.4:  # drop tanks or missiles under the wings
        for sx in (-1, 1):
            f = rng.uniform(0.3, 0.7)
            p, c = le(f) * [sx, 1, 1], chord(f)
            r = R * rng.uniform(0.15, 0.35)
            parts.append(nacelle(p + [0, -r * 1.5, -c * 0.3], r, c * rng.uniform(1.0, 1.6), part="trim", n=8))
            parts.append(bar(p + [0, -r * 1.2, -c * 0.3], p + [0, 0.0, -c * 0.3], r * 0.5, "trim"))
    return parts


def delta(rng):
    L = rng.uniform(15, 60)
    R = L * rng.uniform(0.03, 0.06)
    parts = fuselage(L, R, nose=rng.uniform(0.15, 0.3), tail=rng.uniform(0.04, 0.1), up=0.2, width=rng.uniform(1.0, 1.4), tip=0.04,
                     droop=0.0, tail_tip=0.7)
    root_c = L * rng.uniform(0.45, 0.75)
    half_span = root_c * rng.uniform(0.4, 0.75)
    z_w = -L / 2 + L * rng.uniform(0.0, 0.05) + root_c
    ps, le, chord = wing_pair(-R * rng.uniform(0.0, 0.6), z_w, half_span, root_c, rng.uniform(0.03, 0.15),
                              rng.uniform(0.9, 1.25), rng.uniform(-0.06, 0.02), root_c * 0.04,
                              kink=(rng.uniform(0.2, 0.4), rng.uniform(0.3, 0.5)) if rng.random() < 0.4 else None)
    parts += ps
    parts.append(fin(R * 0.5, -L / 2 + L * rng.uniform(0.2, 0.35), R * rng.uniform(3.0, 5.0), L * rng.uniform(0.18, 0.3),
                     rng.uniform(0.2, 0.4), rng.uniform(0.8, 1.1), L * 0.012))
    if L > 35:  # a supersonic airliner: engines in pairs under the wing
        r = R * rng.uniform(0.35, 0.5)
        for sx in (-1, 1):
            p = le(0.35) * [sx, 1, 1]
            c = np.array([p[0], p[1] - r * 1.2, -L / 2 + L * 0.12])
            parts.append(box(c, [r * 2.1, r, L * 0.12], part="engine"))
    else:
        parts.append(canopy(L / 2 - L * rng.uniform(0.2, 0.3), R * 0.6, L * 0.12, R * 1.2, R * 0.8))
        if rng.random() < 0.5:
            c_c = L * rng.uniform(0.06, 0.1)
            parts += wing_pair(R * 0.3, L * 0.15 + c_c, R + L * 0.09, c_c, 0.3, 0.9, 0.05, c_c * 0.05, part="tail")[0]
    return parts


def glider(rng):
    L = rng.uniform(6, 10)
    R = L * rng.uniform(0.04, 0.06)
    fus = dict(nose=rng.uniform(0.15, 0.25), tail=rng.uniform(0.45, 0.6), up=rng.uniform(0.6, 1.0), tail_tip=rng.uniform(0.2, 0.35))
    parts = fuselage(L, R, droop=0.2, **fus)
    half_span = L * rng.uniform(0.75, 1.4)
    root_c = L * rng.uniform(0.07, 0.11)
    ps, le, chord = wing_pair(R * rng.uniform(0.0, 0.7), L * rng.uniform(0.1, 0.22), half_span, root_c, rng.uniform(0.3, 0.5),
                              rng.uniform(-0.02, 0.06), rng.uniform(0.02, 0.08), root_c * 0.13, kink=(0.5, 0.25))
    parts += ps
    parts += _tail(rng, L, R, fus, rng.choice(["t", "conventional", "v"], p=[0.6, 0.25, 0.15]))
    parts.append(canopy(L / 2 - L * 0.2, R * 0.5, L * rng.uniform(0.15, 0.25), R * 1.6, R * 0.9))
    parts += gear([[0, -R * 0.5, L * 0.1]], R * 0.5, -R * 1.5)
    return parts


def light_prop(rng, floats=False):
    L = rng.uniform(7, 12)
    R = L * rng.uniform(0.06, 0.09)
    fus = dict(nose=rng.uniform(0.06, 0.12), tail=rng.uniform(0.45, 0.6), up=rng.uniform(0.7, 1.0), tail_tip=0.2)
    parts = fuselage(L, R, tip=rng.uniform(0.4, 0.7), width=rng.uniform(0.9, 1.1), droop=0.0, n=8, **fus)
    high = rng.random() < 0.5
    half_span = L * rng.uniform(0.4, 0.85)
    root_c = L * rng.uniform(0.1, 0.2)
    y_w = R * 0.9 if high else -R * 0.7
    z_w = L / 2 - L * rng.uniform(0.15, 0.38)
    ps, le, chord = wing_pair(y_w, z_w, half_span, root_c, rng.uniform(0.6, 1.0), rng.uniform(-0.03, 0.08),
                              rng.uniform(-0.02, 0.02) if high else rng.uniform(0.04, 0.1), root_c * 0.14)
    parts += ps
    if high and rng.random() < 0.7:  # wing struts
        for sx in (-1, 1):
            p = le(0.45) * [sx, 1, 1] + [0, -root_c * 0.07, -root_c * 0.4]
            parts.append(bar([sx * R * 0.8, -R * 0.6, z_w - root_c * 0.4], p, R * 0.12, "wing"))
    twin = rng.random() < 0.3
    blades = int(rng.choice([2, 3]))
    if twin:
        for sx in (-1, 1):
            p = le(0.3) * [sx, 1, 1]
            r = R * 0.45
            parts.append(nacelle(p + [0, 0, -root_c * 0.2], r, root_c * 1.6, part="engine", n=8))
            parts += propeller(p + [0, 0, root_c * 0.6 + r * 0.2], R * rng.uniform(1.3, 1.8), blades, rng)
        parts.append(Convex(np.concatenate([_ellipse(L / 2 - 0.01, 0, 0, R * 0.4, R * 0.4, 8), [[0, 0, L / 2 + R * 0.5]]]), "body"))
    else:
        parts += propeller([0, 0, L / 2], R * rng.uniform(1.6, 2.4), blades, rng)
    parts += _tail(rng, L, R, fus, rng.choice(["conventional", "t"], p=[0.8, 0.2]))
    parts.append(canopy(L / 2 - L * rng.uniform(0.25, 0.32), R * 0.55, L * 0.16, R * 1.7, R * 0.7))
    if floats:
        fl = L * rng.uniform(0.55, 0.8)
        rf = R * rng.uniform(0.35, 0.55)
        y = -R * rng.uniform(2.2, 3.2)
        xf = R * rng.uniform(1.2, 2.2)
        for sx in (-1, 1):
            c = np.array([sx * xf, y, z_w - root_c * 0.2])
            parts += loft([_ellipse(c[2] + fl * 0.5, c[0], y + rf * 0.4, rf * 0.3, rf * 0.3, 8), _ellipse(c[2] + fl * 0.25, c[0], y, rf, rf, 8),
                           _ellipse(c[2] - fl * 0.5, c[0], y + rf * 0.3, rf * 0.4, rf * 0.4, 8)], "trim")
            for dz in (0.2, -0.6):
                parts.append(bar([sx * R * 0.5, -R * 0.7, z_w - root_c * 0.3 + dz * root_c * 2],
                                 [c[0], y, c[2] + dz * root_c * 2], R * 0.12, "gear"))
    elif rng.random() < 0.75:
        g = -R * 2.2
        parts += gear([[sx * R * 0.55, -R * 0.6, z_w - root_c * 0.3] for sx in (-1, 1)] + [[0, -R * 0.6, L / 2 - L * 0.08]], R * 0.35, g)
    return parts


def biplane(rng):
    L = rng.uniform(6, 9)
    R = L * rng.uniform(0.07, 0.1)
    fus = dict(nose=0.06, tail=rng.uniform(0.45, 0.6), up=0.9, tail_tip=0.2)
    parts = fuselage(L, R, tip=0.6, width=rng.uniform(0.8, 1.0), droop=0.0, n=8, **fus)
    half_span = L * rng.uniform(0.35, 0.65)
    root_c = L * rng.uniform(0.11, 0.22)
    gap = R * rng.uniform(2.2, 3.2)
    stagger = root_c * rng.uniform(0.0, 0.5)
    z_w = L / 2 - L * 0.15
    low, le_low, _ = wing_pair(-R * 0.7, z_w, half_span * rng.uniform(0.85, 1.0), root_c, 1.0, 0.0, rng.uniform(0.0, 0.06), root_c * 0.1)
    up, le_up, _ = wing_pair(-R * 0.7 + gap, z_w + stagger, half_span, root_c, 1.0, 0.0, rng.uniform(-0.02, 0.03), root_c * 0.1)
    parts += low + up
    for f in ((0.7,) if rng.random() < 0.5 else (0.45, 0.85)):
        for sx in (-1, 1):
            a, b = le_low(f) * [sx, 1, 1], le_up(f) * [sx, 1, 1]
            for dz in (-0.25, -0.7):
                parts.append(bar(a + [0, 0, root_c * dz], b + [0, 0, root_c * dz], R * 0.12, "trim"))
    for sx in (-1, 1):  # cabane struts from the fuselage to the upper wing
        parts.append(bar([sx * R * 0.5, R * 0.5, z_w - root_c * 0.4], [sx * R * 0.8, -R * 0.7 + gap, z_w + stagger - root_c * 0.4],
                         R * 0.12, "trim"))
    parts += propeller([0, 0, L / 2], R * rng.uniform(1.8, 2.4), int(rng.choice([2, 4])), rng)
    parts += _tail(rng, L, R, fus, "conventional")
    parts += gear([[sx * R * 0.9, -R * 0.7, z_w - root_c * 0.1] for sx in (-1, 1)], R * 0.5, -R * 2.6)
    return parts


def turboprop(rng):
    L = rng.uniform(20, 40)
    R = L * rng.uniform(0.06, 0.09)
    fus = dict(nose=rng.uniform(0.07, 0.12), tail=rng.uniform(0.25, 0.35), up=rng.uniform(0.8, 1.0), tail_tip=0.2)
    parts = fuselage(L, R, width=rng.uniform(0.95, 1.15), droop=0.4, **fus)
    half_span = L * rng.uniform(0.42, 0.75)
    root_c = L * rng.uniform(0.08, 0.16)
    z_w = L * rng.uniform(-0.05, 0.2)
    ps, le, chord = wing_pair(R * 0.95, z_w, half_span, root_c, rng.uniform(0.4, 0.7), rng.uniform(0.0, 0.1),
                              rng.uniform(-0.04, 0.03), root_c * 0.13)
    parts += ps
    r = R * rng.uniform(0.25, 0.4)
    for f in ((0.3,) if rng.random() < 0.6 else (0.22, 0.45)):
        for sx in (-1, 1):
            p = le(f) * [sx, 1, 1]
            c = p + [0, -r * 0.3, -root_c * 0.3]
            length = root_c * rng.uniform(1.4, 1.9)
            parts.append(nacelle(c, r, length, n=8))
            parts += propeller(c + [0, 0, length / 2 + r * 0.1], R * rng.uniform(0.9, 1.4), int(rng.choice([3, 4, 6])), rng, hub=r * 0.7)
    parts += _tail(rng, L, R, fus, rng.choice(["t", "conventional"], p=[0.6, 0.4]))
    if rng.random() < 0.5:  # sponsons for the main gear
        for sx in (-1, 1):
            parts.append(box([sx * R * 0.9, -R * 0.65, 0], [R * 0.3, R * 0.3, L * 0.1], part="body"))
    return parts


def flying_wing(rng):
    span = rng.uniform(20, 50)
    root_c = span * rng.uniform(0.25, 0.45)
    sweep = rng.uniform(0.5, 0.9)
    parts, le, chord = wing_pair(0.0, root_c / 2, span / 2, root_c, rng.uniform(0.08, 0.25), sweep, rng.uniform(-0.02, 0.04),
                                 root_c * rng.uniform(0.06, 0.1), kink=(rng.uniform(0.2, 0.4), rng.uniform(0.4, 0.7)))
    body_len = root_c * rng.uniform(0.7, 1.0)
    body_h = root_c * rng.uniform(0.08, 0.14)
    body_w = span * rng.uniform(0.08, 0.16)
    parts.append(Convex(np.concatenate([_ellipse(root_c / 2 + root_c * 0.05, 0, body_h * 0.2, body_w * 0.3, body_h * 0.3, 8),
                                        _ellipse(root_c / 2 - body_len * 0.3, 0, body_h * 0.4, body_w / 2, body_h, 10),
                                        _ellipse(root_c / 2 - body_len, 0, 0, body_w * 0.4, body_h * 0.3, 8)]), "body"))
    parts.append(canopy(root_c / 2 - body_len * 0.15, body_h * 0.9, body_len * 0.15, body_w * 0.5, body_h * 0.35))
    if rng.random() < 0.4:
        for sx in (-1, 1):
            p = le(0.85) * [sx, 1, 1]
            parts.append(fin(p[1], p[2] - chord(0.85) * 0.1, span * 0.05, chord(0.85) * 0.8, 0.5, 0.7, chord(0.85) * 0.06, x=p[0],
                             cant=sx * 0.3))
    return parts


def gear_down(rng, L, R, z_main, width=1.0):
    """Retractable gear, extended: a nose leg and a pair of main legs by the wing root."""
    drop = R * rng.uniform(0.8, 1.8)
    wheel = R * rng.uniform(0.25, 0.4)
    mains = [[sx * R * width * 0.6, -R * 0.7, z_main] for sx in (-1, 1)]
    return gear(mains + [[0, -R * 0.7, L / 2 - L * rng.uniform(0.08, 0.15)]], wheel, -R - drop)


def twin_boom(rng):
    """A short pod on a straight wing, two booms from the wing back to fins joined by the stabiliser."""
    L = rng.uniform(9, 16)
    R = L * rng.uniform(0.06, 0.1)
    pod = L * rng.uniform(0.45, 0.65)
    fus = dict(nose=rng.uniform(0.15, 0.3), tail=rng.uniform(0.2, 0.35), up=rng.uniform(0.0, 0.5), tail_tip=0.5)
    parts = [p.transformed(np.eye(3)) for p in fuselage(pod, R, width=rng.uniform(0.9, 1.2), droop=0.2, n=8, **fus)]
    parts = [Convex(p.verts + [0, 0, L / 2 - pod / 2], p.part) for p in parts]
    half_span = L * rng.uniform(0.45, 0.8)
    root_c = L * rng.uniform(0.1, 0.16)
    z_w = L / 2 - pod * rng.uniform(0.35, 0.6)
    y_w = R * rng.uniform(-0.5, 0.8)
    ps, le, chord = wing_pair(y_w, z_w, half_span, root_c, rng.uniform(0.5, 1.0), rng.uniform(0.0, 0.08), rng.uniform(-0.02, 0.05),
                              root_c * 0.13)
    parts += ps
    f = rng.uniform(0.2, 0.38)
    xb = le(f)[0]
    rb = R * rng.uniform(0.25, 0.45)
    z_tail = -L / 2 + L * rng.uniform(0.08, 0.14)
    fin_h = R * rng.uniform(2.0, 3.5)
    for sx in (-1, 1):
        front = le(f) * [sx, 1, 1] + [0, 0, root_c * rng.uniform(0.2, 0.6)]
        parts.append(Convex(np.concatenate([_ellipse(front[2], front[0], front[1], rb, rb, 8),
                                            _ellipse(z_tail, front[0], front[1], rb * 0.6, rb * 0.6, 8)]), "body"))
        parts.append(fin(front[1], z_tail + L * 0.08, fin_h, L * 0.1, 0.6, 0.4, L * 0.012, x=sx * xb))
        if rng.random() < 0.6:
            parts += propeller([sx * xb, front[1], front[2]], R * rng.uniform(1.2, 1.8), 3, rng)
    st_c = L * 0.08
    h = fin_h * rng.uniform(0.0, 0.9)
    parts.append(box([0, front[1] + h, z_tail + st_c / 2 - h * np.tan(0.4)], [xb + L * 0.02, L * 0.006, st_c / 2], part="tail"))
    if rng.random() < 0.5:
        parts += propeller([0, 0, L / 2 - pod], R * rng.uniform(1.3, 2.0), 3, rng)
    parts.append(canopy(L / 2 - pod * 0.25, R * 0.5, pod * 0.2, R * 1.4, R * 0.7))
    return parts


def seaplane(rng):
    """A light propeller plane on two floats (or a boat hull with wing-tip floats)."""
    parts = light_prop(rng, floats=True)
    return parts


def shuttle(rng):
    """A space shuttle or glide vehicle: a fat flat-bottomed body on a double delta, one tall fin, engine bells."""
    L = rng.uniform(30, 40)
    R = L * rng.uniform(0.08, 0.12)
    fus = dict(nose=rng.uniform(0.12, 0.2), tail=0.02, up=0.0, tail_tip=0.95)
    parts = fuselage(L, R, width=rng.uniform(0.9, 1.2), droop=0.3, tip=0.2, n=10, **fus)
    root_c = L * rng.uniform(0.5, 0.7)
    ps, le, chord = wing_pair(-R * 0.7, -L / 2 + root_c, L * rng.uniform(0.3, 0.5), root_c, rng.uniform(0.05, 0.2), rng.uniform(0.8, 1.1),
                              rng.uniform(0.0, 0.08), root_c * 0.05, kink=(rng.uniform(0.15, 0.3), rng.uniform(0.35, 0.5)))
    parts += ps
    parts.append(fin(R * 0.8, -L / 2 + L * rng.uniform(0.25, 0.3), R * rng.uniform(1.8, 3.0), L * 0.25, 0.4, 0.8, L * 0.02))
    for x, y in ((0, R * 0.4), (-R * 0.4, -R * 0.1), (R * 0.4, -R * 0.1)):
        parts.append(Convex(np.concatenate([_ellipse(-L / 2 + 0.02 * L, x, y, R * 0.15, R * 0.15, 8),
                                            _ellipse(-L / 2 - L * 0.05, x, y, R * 0.3, R * 0.3, 8)]), "engine"))
    if rng.random() < 0.3:
        parts += gear_down(rng, L, R, -L * 0.1)
    return parts


def drone(rng):
    """A surveillance drone: a slim body with a bulbous nose, long straight wings, a V or inverted-V tail on
    the tail cone or on twin booms, a pusher propeller."""
    L = rng.uniform(8, 14)
    R = L * rng.uniform(0.04, 0.07)
    fus = dict(nose=rng.uniform(0.15, 0.3), tail=rng.uniform(0.3, 0.5), up=rng.uniform(0.0, 0.4), tail_tip=0.3)
    parts = fuselage(L, R, width=rng.uniform(0.9, 1.1), droop=-0.6, tip=0.3, **fus)
    parts.append(Convex(np.concatenate([_ellipse(L / 2 - L * 0.05, 0, R * 0.4, R * 0.6, R * 0.7, 8),
                                        _ellipse(L / 2 - L * rng.uniform(0.2, 0.3), 0, R * 0.3, R * 1.1, R * 1.4, 8)]), "body"))
    half_span = L * rng.uniform(0.6, 1.2)
    root_c = L * rng.uniform(0.07, 0.12)
    ps, le, chord = wing_pair(R * rng.uniform(-0.3, 0.6), L * rng.uniform(-0.05, 0.12), half_span, root_c, rng.uniform(0.35, 0.8),
                              rng.uniform(0.0, 0.1), rng.uniform(-0.02, 0.06), root_c * 0.12)
    parts += ps
    inverted = rng.random() < 0.4
    z_fin = -L / 2 + L * 0.12
    for sx in (-1, 1):
        cant = sx * rng.uniform(0.6, 0.9)
        if inverted:
            parts.append(fin(-R * 0.1, z_fin, R * rng.uniform(2.5, 4.0), L * 0.1, 0.6, 0.5, L * 0.01, cant=np.pi - cant))
        else:
            parts.append(fin(R * 0.1, z_fin, R * rng.uniform(2.5, 4.0), L * 0.1, 0.6, 0.5, L * 0.01, cant=cant))
    parts += propeller([0, 0, -L / 2 - R * 0.3], R * rng.uniform(1.5, 2.5), int(rng.choice([2, 3])), rng)
    if rng.random() < 0.4:
        parts += gear([[0, -R * 0.6, L * 0.3]] + [[sx * R * 0.5, -R * 0.6, 0.0] for sx in (-1, 1)], R * 0.3, -R * 2.0)
    return parts


BUILDERS = {"airliner": airliner, "bizjet": bizjet, "fighter": fighter, "delta": delta, "glider": glider,
            "light_prop": light_prop, "biplane": biplane, "turboprop": turboprop, "flying_wing": flying_wing,
            "twin_boom": twin_boom, "seaplane": seaplane, "shuttle": shuttle, "drone": drone}
assert tuple(BUILDERS) == FAMILIES


def _colours(rng, family):
    """Per-part RGB and (shininess, specular): airline white or bare metal, military matte grey or olive,
    light aircraft in bright paint."""
    military = family in ("fighter", "flying_wing") or (family in ("delta", "turboprop") and rng.random() < 0.5)
    if military:
        body = hsv(rng.uniform(0.15, 0.6), rng.uniform(0.0, 0.35), rng.uniform(0.3, 0.65))
        kind = "matte"
    else:
        kind = rng.choice(["paint", "metal", "paint"])
        if kind == "metal":
            g = rng.uniform(0.6, 0.85)
            body = (g, g, g)
        elif rng.random() < 0.6:
            g = rng.uniform(0.8, 0.97)
            body = (g, g, g)
        else:
            body = hsv(rng.uniform(0, 1), rng.uniform(0.3, 0.9), rng.uniform(0.45, 0.95))
    accent = hsv(rng.uniform(0, 1), rng.uniform(0.4, 1.0), rng.uniform(0.4, 0.9))
    wing = body if rng.random() < 0.7 else tuple(np.clip(np.array(body) * rng.uniform(0.75, 0.95), 0, 1))
    g = rng.uniform(0.25, 0.6)
    colours = {"body": body, "wing": wing, "tail": accent if (rng.random() < 0.4 and not military) else wing,
               "engine": (g, g, g) if rng.random() < 0.5 else body, "glass": hsv(rng.uniform(0.55, 0.65), 0.5, rng.uniform(0.1, 0.3)),
               "prop": (0.15, 0.15, 0.15) if rng.random() < 0.6 else accent, "gear": (0.3, 0.3, 0.3), "wheel": (0.08, 0.08, 0.08),
               "trim": accent if rng.random() < 0.5 else (g, g, g)}
    shininess = {"matte": 5.0, "paint": 50.0, "metal": 110.0}[kind] * rng.uniform(0.7, 1.3)
    specular = {"matte": 0.08, "paint": 0.45, "metal": 0.8}[kind]
    return colours, (float(shininess), float(specular))


def make(seed, index):
    """(family, parts, colours per part, material) of airplane `index`, a pure function of (seed, index).

    The family's builder picks its proportions; then every axis is stretched independently (a moderate
    range: a plane squashed much further stops reading as one), so no two planes share proportions."""
    rng = np.random.default_rng([seed, index, SYNSET])
    family = FAMILIES[rng.choice(len(FAMILIES), p=FAMILY_WEIGHTS)]
    parts = BUILDERS[family](rng)
    stretch = np.diag(np.exp(rng.uniform([-0.4, -0.3, -0.3], [0.4, 0.5, 0.3])))
    parts = [p.transformed(stretch) for p in parts]
    colours, material = _colours(rng, family)
    return family, parts, colours, material
