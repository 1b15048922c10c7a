"""Procedural vessels (ShapeNet synset 04530566): the families, their parts and proportions (numpy only).

A vessel is a list of closed convex parts (synthetic/primitives.py) in raw units (about metres), +y up, bow
towards +z, waterline roughly horizontal, as the chairs are. ShapeNet's watercraft run from dinghies to
container ships, and their silhouettes differ far more above the hull than in it: a sailing boat is a
small hull under a mast and sails several times its height, a cargo ship a long low slab with a block of
containers and a bridge at the stern, a cruise ship a tall stack of decks, a submarine a cigar with a fin,
a rowing boat an open shell. So the families differ in what stands on the hull and in the hull itself
(length to beam, depth, sheer, V or round or flat bottom, raked or plumb bow, transom or pointed stern,
open or decked). Within a family the masts, sails, superstructure tiers, containers, guns and funnels vary
in count, size and place; an anisotropic stretch per vessel comes last. `make(seed, index)` is a pure
function.

The ten families: sailboat, tall ship, motor yacht, cargo ship, speedboat, rowing boat or canoe, warship,
submarine, cruise ship or ferry, tug or trawler.
"""
import numpy as np

from synthetic.primitives import Convex, bar, box, cylinder, hsv

FAMILIES = ("sailboat", "tall_ship", "motor_yacht", "cargo", "speedboat", "rowboat", "warship", "submarine", "cruise", "tug")
FAMILY_WEIGHTS = np.array([10, 5, 9, 8, 8, 6, 8, 5, 6, 5], float)
FAMILY_WEIGHTS /= FAMILY_WEIGHTS.sum()
SYNSET = 4530566


# ---------------------------------------------------------------------------------------------------
# Hulls.
# ---------------------------------------------------------------------------------------------------
def loft(sections, part):
    """Convex cells between consecutive sections: a body whose section changes along its length."""
    return [Convex(np.concatenate([sections[i], sections[i + 1]]), part) for i in range(len(sections) - 1)]


def hull_stations(rng, L, B, D, stern_w=None, sheer=None, rake=None, entry=None, deadrise=None, pointed_stern=False):
    """Per station (z, half beam at the deck, deck height, chine half beam, chine height, keel height, stem
    rake offset): a hull from the stern (z = -L/2) to the bow (L/2), its keel at y = 0."""
    stern_w = rng.uniform(0.55, 0.95) if stern_w is None else stern_w
    sheer = rng.uniform(0.0, 0.3) * D if sheer is None else sheer
    rake = rng.uniform(0.0, 0.25) * L if rake is None else rake
    entry = rng.uniform(0.3, 0.5) if entry is None else entry  # share of the length over which the bow narrows
    deadrise = rng.uniform(0.1, 0.6) if deadrise is None else deadrise  # chine height as a share of depth
    stations = []
    for s in (0.0, 0.08, 0.3, 0.5, 1 - entry, 1 - entry * 0.6, 1 - entry * 0.3, 1 - entry * 0.1, 1.0):
        u = max(0.0, (s - (1 - entry)) / entry)  # 0 at the shoulder, 1 at the stem
        w = 1.0 - u ** 1.6 * 0.97
        if pointed_stern:
            w *= min(1.0, 0.05 + s / 0.35) ** 0.7
        elif s < 0.3:
            w *= stern_w + (1 - stern_w) * s / 0.3
        hw = B / 2 * w
        deck = D + sheer * (u ** 1.5 + (0.3 * (1 - s / 0.3) if s < 0.3 else 0.0))
        keel = D * 0.85 * u ** 2.5 + (0.15 * D * (1 - s / 0.08) if (s < 0.08 and not pointed_stern) else 0.0)
        z = -L / 2 + s * (L - rake) + rake * u ** 2
        stations.append((z, hw, deck, hw * (0.6 + 0.3 * (1 - deadrise)), keel + (D - keel) * deadrise * 0.6, keel))
    return stations


def hull(stations, part="hull"):
    """A decked hull: the loft of V or U sections (deck edges, chines, keel)."""
    secs = []
    for z, hw, deck, cw, cy, keel in stations:
        secs.append(np.array([[-hw, deck, z], [hw, deck, z], [-cw, cy, z], [cw, cy, z], [0.0, keel, z],
                              [-cw * 0.4, keel + (cy - keel) * 0.1, z], [cw * 0.4, keel + (cy - keel) * 0.1, z]]))
    return loft(secs, part)


def open_hull(stations, t, part="hull"):
    """An open boat: a solid bottom up to the chines and two thin side walls from the chines to the gunwales."""
    bottom, walls = [], {-1: [], 1: []}
    for z, hw, deck, cw, cy, keel in stations:
        bottom.append(np.array([[-cw, cy, z], [cw, cy, z], [0.0, keel, z], [-cw * 0.4, keel + (cy - keel) * 0.1, z],
                                [cw * 0.4, keel + (cy - keel) * 0.1, z]]))
        for sx in (-1, 1):
            walls[sx].append(np.array([[sx * cw, cy, z], [sx * hw, deck, z], [sx * max(cw - t, 0.0), cy + t, z],
                                       [sx * max(hw - t, 0.0), deck, z]]))
    return loft(bottom, part) + loft(walls[-1], part) + loft(walls[1], part)


def deck_at(stations, z):
    """(half beam, deck height) of the hull at z (interpolated between stations)."""
    zs = [s[0] for s in stations]
    return np.interp(z, zs, [s[1] for s in stations]), np.interp(z, zs, [s[2] for s in stations])


def block(x0, x1, y0, y1, z0, z1, part, taper=0.0):
    """A box between the given bounds, its top shrunk by `taper` (a share) on x and z: cabins, bridges."""
    cx, cz = (x0 + x1) / 2, (z0 + z1) / 2
    hx, hz = (x1 - x0) / 2, (z1 - z0) / 2
    pts = [[cx + sx * hx, y0, cz + sz * hz] for sx in (-1, 1) for sz in (-1, 1)]
    pts += [[cx + sx * hx * (1 - taper), y1, cz + sz * hz * (1 - taper * 0.5)] for sx in (-1, 1) for sz in (-1, 1)]
    return Convex(pts, part)


def tiers(rng, z0, z1, y0, hw, n, tier_h, part="cabin", glass=True, step=None):
    """`n` superstructure decks, each shorter and narrower than the one below, a window band on each.
    Returns (parts, top height, (z0, z1, half width) of the top deck) so masts and funnels can stand on it."""
    parts = []
    y = y0
    step = rng.uniform(0.05, 0.2) if step is None else step
    for k in range(n):
        h = tier_h * rng.uniform(0.85, 1.15)
        parts.append(block(-hw, hw, y - 0.02 * tier_h, y + h, z0, z1, part, taper=rng.uniform(0.0, 0.15)))
        if glass:
            parts.append(block(-hw * 1.01, hw * 1.01, y + h * 0.45, y + h * 0.8, z0 + (z1 - z0) * 0.05, z1 + 0.01 * (z1 - z0), "glass"))
        y += h
        last = (z0, z1, hw)
        length = z1 - z0
        z0 += length * step * rng.uniform(0.5, 1.5)
        z1 -= length * step * rng.uniform(0.5, 1.5)
        hw *= rng.uniform(0.8, 0.97)
        if z1 - z0 < 0.05 * length:
            break
    return parts, y, last


def mast(base, height, t, part="mast"):
    return bar(base, np.asarray(base, float) + [0, height, 0], t, part, round_=True, thickness_b=t * 0.6)


def sail(points, t, part="sail"):
    """A thin flat sail: the hull of a planar polygon (triangle or quad) thickened by t along x."""
    pts = np.asarray(points, float)
    return Convex(np.concatenate([pts - [t / 2, 0, 0], pts + [t / 2, 0, 0]]), part)


def funnel(x, y, z, r, h, rake, part="funnel"):
    """A raked round or oval funnel from height y."""
    lo = np.array([[x + r * 1.0 * np.cos(a), y, z + r * 1.5 * np.sin(a)] for a in 2 * np.pi * np.arange(8) / 8])
    hi = lo + [0, h, -h * np.tan(rake)]
    return Convex(np.concatenate([lo, hi]), part)


# ---------------------------------------------------------------------------------------------------
# Families.
# ---------------------------------------------------------------------------------------------------
def sailboat(rng):
    """A sloop or ketch: a low cabin trunk, a tall mast (or two), mainsail and jib, keel fin and rudder."""
    L = rng.uniform(7, 16)
    B = L * rng.uniform(0.25, 0.36)
    D = L * rng.uniform(0.08, 0.12)
    st = hull_stations(rng, L, B, D, stern_w=rng.uniform(0.5, 0.9), rake=L * rng.uniform(0.05, 0.2), deadrise=rng.uniform(0.3, 0.7))
    parts = hull(st)
    z_m = L * rng.uniform(0.0, 0.2)
    hw, deck = deck_at(st, z_m)
    if rng.random() < 0.8:
        parts.append(block(-hw * 0.6, hw * 0.6, deck - 0.1, deck + D * rng.uniform(0.3, 0.6), -L * rng.uniform(0.1, 0.25),
                           z_m + L * 0.08, "cabin", taper=0.15))
    H = L * rng.uniform(0.9, 1.6)
    parts.append(mast([0, deck - 0.1, z_m], H, L * 0.012))
    boom_len = (z_m + L / 2) * rng.uniform(0.6, 0.95)
    y_boom = deck + D * rng.uniform(0.6, 1.0)
    parts.append(bar([0, y_boom, z_m], [0, y_boom + boom_len * 0.05, z_m - boom_len], L * 0.01, "mast"))
    t = L * 0.004
    if rng.random() < 0.85:  # mainsail
        parts.append(sail([[0, y_boom + 0.05, z_m - 0.05], [0, y_boom + boom_len * 0.05, z_m - boom_len], [0, deck + H * 0.97, z_m - 0.05]], t))
    if rng.random() < 0.8:  # jib
        bow = st[-1]
        parts.append(sail([[0, bow[2] + 0.1, bow[0] - L * 0.03], [0, deck + H * rng.uniform(0.6, 0.9), z_m + 0.05],
                           [0, deck + D * 0.5, z_m + 0.05]], t))
        parts.append(bar([0, bow[2], bow[0] - L * 0.02], [0, deck + H * 0.9, z_m], L * 0.004, "mast"))
    if rng.random() < 0.25:  # ketch: a mizzen mast
        z2 = -L * rng.uniform(0.25, 0.35)
        hw2, deck2 = deck_at(st, z2)
        h2 = H * rng.uniform(0.5, 0.7)
        parts.append(mast([0, deck2 - 0.1, z2], h2, L * 0.01))
        parts.append(sail([[0, deck2 + D * 0.6, z2 - 0.05], [0, deck2 + D * 0.6, z2 - L * 0.18], [0, deck2 + h2 * 0.95, z2 - 0.05]], t))
    fin_d = D * rng.uniform(1.0, 2.2)
    parts.append(block(-L * 0.012, L * 0.012, -fin_d, 0.2 * D, -L * 0.05, L * 0.08, "keel"))
    if rng.random() < 0.5:
        parts.append(cylinder([0, -fin_d, 0.0], L * 0.03, L * 0.08, axis=(0, 0, 1), part="keel", sides=8))
    parts.append(block(-L * 0.008, L * 0.008, -D * 0.8, D * 0.4, -L / 2 + L * 0.04, -L / 2 + L * 0.1, "keel"))
    return parts


def tall_ship(rng):
    """A square rigger: two or three masts with stacked square sails, a bowsprit, a raised stern castle."""
    L = rng.uniform(30, 60)
    B = L * rng.uniform(0.2, 0.28)
    D = L * rng.uniform(0.1, 0.14)
    st = hull_stations(rng, L, B, D, stern_w=rng.uniform(0.6, 0.85), sheer=D * rng.uniform(0.2, 0.5), rake=L * rng.uniform(0.03, 0.1),
                       deadrise=rng.uniform(0.4, 0.8))
    parts = hull(st)
    _, deck_s = deck_at(st, -L / 2 + 0.1 * L)
    parts.append(block(-B * 0.4, B * 0.4, deck_s - 0.2, deck_s + D * rng.uniform(0.4, 0.8), -L / 2 + 0.02 * L, -L / 2 + L * rng.uniform(0.15, 0.25), "cabin"))
    n = int(rng.choice([2, 3]))
    zs = np.linspace(-0.25, 0.3, n) * L + rng.uniform(-0.03, 0.03, n) * L
    H = L * rng.uniform(0.6, 0.9)
    t = L * 0.003
    for k, z in enumerate(zs):
        hw, deck = deck_at(st, z)
        h = H * (1.0 if k == n // 2 else rng.uniform(0.8, 0.95))
        parts.append(mast([0, deck - 0.5, z], h, L * 0.012))
        rows = int(rng.integers(2, 5))
        width = B * rng.uniform(1.0, 1.5)
        y = deck + D * 0.6
        for r in range(rows):
            sh = (h - D) / rows * rng.uniform(0.7, 0.9)
            w = width * (1 - 0.15 * r)
            belly = rng.uniform(0.0, 0.04) * L
            parts.append(Convex([[sx * w / 2, y + dy, z + belly * (dy > 0) + 0.05] for sx in (-1, 1) for dy in (0, sh)] +
                                [[sx * w / 2, y + dy, z + belly * (dy > 0) - t] for sx in (-1, 1) for dy in (0, sh)] +
                                [[0, y + sh / 2, z + belly * 1.5]], "sail"))
            parts.append(bar([-w / 2, y + sh, z], [w / 2, y + sh, z], L * 0.005, "mast"))
            y += sh * 1.05
    bow = st[-1]
    parts.append(bar([0, bow[2] - D * 0.2, bow[0] - L * 0.05], [0, bow[2] + D * 0.4, bow[0] + L * rng.uniform(0.1, 0.2)], L * 0.01, "mast"))
    return parts


def motor_yacht(rng):
    """A planing or displacement yacht: one to three superstructure decks set back from the bow, window
    bands, sometimes a flybridge with a radar arch."""
    L = rng.uniform(12, 40)
    B = L * rng.uniform(0.22, 0.3)
    D = L * rng.uniform(0.09, 0.14)
    st = hull_stations(rng, L, B, D, stern_w=rng.uniform(0.8, 0.98), rake=L * rng.uniform(0.05, 0.2), deadrise=rng.uniform(0.2, 0.6),
                       entry=rng.uniform(0.35, 0.55))
    parts = hull(st)
    z0 = -L / 2 + L * rng.uniform(0.05, 0.2)
    z1 = L / 2 - L * rng.uniform(0.3, 0.45)
    hw, deck = deck_at(st, (z0 + z1) / 2)
    sp, top, (t0, t1, _) = tiers(rng, z0, z1, deck, hw * rng.uniform(0.75, 0.95), int(rng.choice([1, 2, 3], p=[0.3, 0.45, 0.25])),
                                 D * rng.uniform(0.6, 1.0))
    parts += sp
    if rng.random() < 0.5:  # radar arch or mast
        zr = (t0 + t1) / 2
        parts.append(block(-hw * 0.3, hw * 0.3, top - 0.1, top + D * rng.uniform(0.4, 0.8), zr - L * 0.03, zr + L * 0.02, "trim", taper=0.3))
    if rng.random() < 0.5:  # a hull window band
        parts.append(block(-hw * 1.0, hw * 1.0, deck - D * 0.35, deck - D * 0.2, -L * 0.15, L * 0.15, "glass"))
    return parts


def cargo(rng):
    """A container ship, bulk carrier or tanker: a long hull, the bridge and funnel at the stern (or at the
    bow), stacks of containers, hatch covers or a pipe deck with cranes."""
    L = rng.uniform(100, 250)
    B = L * rng.uniform(0.12, 0.17)
    D = L * rng.uniform(0.06, 0.09)
    st = hull_stations(rng, L, B, D, stern_w=rng.uniform(0.7, 0.9), sheer=D * rng.uniform(0.0, 0.15), rake=L * rng.uniform(0.0, 0.05),
                       entry=rng.uniform(0.2, 0.3), deadrise=rng.uniform(0.7, 0.95))
    parts = hull(st)
    fwd_bridge = rng.random() < 0.1
    zb = (L / 2 - L * 0.15) if fwd_bridge else (-L / 2 + L * rng.uniform(0.05, 0.12))
    bl = L * rng.uniform(0.06, 0.1)
    hw, deck = deck_at(st, zb)
    bh = D * rng.uniform(1.0, 2.0)
    parts.append(block(-hw * 0.9, hw * 0.9, deck - 1, deck + bh, zb - bl / 2, zb + bl / 2, "cabin"))
    parts.append(block(-hw * 1.05, hw * 1.05, deck + bh - D * 0.25, deck + bh, zb + bl * 0.1, zb + bl / 2, "cabin"))
    parts.append(block(-hw * 0.9, hw * 0.9, deck + bh - D * 0.2, deck + bh - D * 0.08, zb, zb + bl / 2 + 0.2, "glass"))
    if not fwd_bridge:
        parts.append(funnel(0, deck + bh * 0.6, zb - bl * 0.55, B * 0.08, D * rng.uniform(0.5, 1.0), rng.uniform(0.0, 0.3)))
    kind = rng.choice(["container", "bulk", "tanker"], p=[0.5, 0.25, 0.25])
    za, zf = (zb + bl / 2 + L * 0.01, L / 2 - L * 0.12) if not fwd_bridge else (-L / 2 + L * 0.1, zb - bl / 2 - L * 0.01)
    if kind == "container":
        n = int(rng.integers(4, 10))
        bays = np.linspace(za, zf, n + 1)
        base = rng.uniform(0.3, 1.0) * D
        for k in range(n):
            h = base * rng.uniform(0.6, 1.2) if rng.random() < 0.85 else 0.1 * D
            hw_k, deck_k = deck_at(st, (bays[k] + bays[k + 1]) / 2)
            hw_k = min(hw_k, deck_at(st, bays[k + 1])[0])
            parts.append(block(-hw_k * 0.92, hw_k * 0.92, deck_k - 0.5, deck_k + h, bays[k] + 0.5, bays[k + 1] - 0.5, "cargo"))
    elif kind == "bulk":
        n = int(rng.integers(4, 8))
        bays = np.linspace(za, zf, n + 1)
        for k in range(n):
            hw_k, deck_k = deck_at(st, (bays[k] + bays[k + 1]) / 2)
            parts.append(block(-hw_k * 0.6, hw_k * 0.6, deck_k - 0.5, deck_k + D * 0.15, bays[k] + L * 0.01, bays[k + 1] - L * 0.01, "cargo"))
            if k % 2 == 0 and rng.random() < 0.7:  # a crane
                h = D * rng.uniform(0.7, 1.2)
                parts.append(mast([0, deck_k - 1, bays[k]], h, L * 0.008))
                parts.append(bar([0, deck_k - 1 + h * 0.9, bays[k]], [hw_k * 0.8, deck_k + D * 0.3, bays[k] + L * 0.05], L * 0.005, "mast"))
    else:
        _, deck_m = deck_at(st, 0.0)
        parts.append(box([0, deck_m + D * 0.05, (za + zf) / 2], [B * 0.05, D * 0.08, (zf - za) / 2], part="trim"))
        if rng.random() < 0.3:  # LNG domes
            for z in np.linspace(za + L * 0.05, zf - L * 0.05, 4):
                parts.append(cylinder([0, deck_m + B * 0.1, z], B * 0.4, B * 0.18, part="cargo", sides=12))
    return parts


def speedboat(rng):
    """A runabout: a deep-V hull with a sharp bow, a windscreen, seats in an open cockpit or a small cuddy,
    an outboard or a sterndrive."""
    L = rng.uniform(4.5, 10)
    B = L * rng.uniform(0.3, 0.4)
    D = L * rng.uniform(0.1, 0.14)
    st = hull_stations(rng, L, B, D, stern_w=rng.uniform(0.85, 1.0), sheer=D * rng.uniform(0.0, 0.25), rake=L * rng.uniform(0.1, 0.25),
                       entry=rng.uniform(0.4, 0.6), deadrise=rng.uniform(0.1, 0.4))
    parts = hull(st)
    z_ws = L * rng.uniform(-0.05, 0.15)
    hw, deck = deck_at(st, z_ws)
    h = D * rng.uniform(0.4, 0.8)
    parts.append(Convex([[sx * hw * 0.9, deck - 0.02, z_ws + dz] for sx in (-1, 1) for dz in (0, 0.05)] +
                        [[sx * hw * 0.8, deck + h, z_ws - h * 0.8 + dz] for sx in (-1, 1) for dz in (0, 0.05)], "glass"))
    if rng.random() < 0.4:  # a hard top on posts
        top = deck + D * rng.uniform(1.4, 2.0)
        for sx in (-1, 1):
            parts.append(bar([sx * hw * 0.8, deck - 0.05, z_ws - 0.3], [sx * hw * 0.75, top, z_ws - 0.5], 0.06, "trim"))
        parts.append(block(-hw * 0.85, hw * 0.85, top, top + 0.05, z_ws - L * 0.25, z_ws - 0.3, "trim"))
    for z in (z_ws - L * 0.1, z_ws - L * 0.25):
        if z > -L / 2 + L * 0.1:
            hwz, dz = deck_at(st, z)
            for sx in (-1, 1):
                parts.append(box([sx * hwz * 0.4, dz + D * 0.15, z], [hwz * 0.3, D * 0.25, L * 0.03], part="seat"))
                parts.append(box([sx * hwz * 0.4, dz + D * 0.5, z - L * 0.03], [hwz * 0.3, D * 0.35, L * 0.01], part="seat"))
    if rng.random() < 0.6:  # outboard motor on the transom
        n = int(rng.choice([1, 2]))
        for k in range(n):
            x = (k - (n - 1) / 2) * B * 0.3
            z = -L / 2 - L * 0.04
            parts.append(box([x, D * 0.3, z], [L * 0.012, D * 0.6, L * 0.012], part="engine"))
            parts.append(box([x, D * 1.1, z - L * 0.005], [L * 0.03, D * 0.3, L * 0.045], part="engine"))
            parts.append(box([x, D * 1.0, -L / 2], [L * 0.01, D * 0.1, L * 0.05], part="engine"))
    return parts


def rowboat(rng):
    """An open boat: a dinghy with a transom, a canoe pointed at both ends, benches and sometimes oars."""
    canoe = rng.random() < 0.45
    L = rng.uniform(4, 7) if canoe else rng.uniform(2.5, 5)
    B = L * (rng.uniform(0.14, 0.2) if canoe else rng.uniform(0.3, 0.45))
    D = L * (rng.uniform(0.06, 0.09) if canoe else rng.uniform(0.1, 0.15))
    st = hull_stations(rng, L, B, D, stern_w=rng.uniform(0.5, 0.8), sheer=D * rng.uniform(0.1, 0.5), rake=L * rng.uniform(0.0, 0.1),
                       entry=rng.uniform(0.4, 0.5) if canoe else rng.uniform(0.3, 0.5), deadrise=rng.uniform(0.3, 0.6), pointed_stern=canoe)
    t = max(0.03, L * 0.01)
    parts = open_hull(st, t)
    n = int(rng.integers(1, 4))
    for z in np.linspace(-L * 0.3, L * 0.25, n) + rng.uniform(-0.05, 0.05, n) * L:
        hw, deck = deck_at(st, z)
        parts.append(box([0, deck - D * rng.uniform(0.15, 0.35), z], [hw * 0.98, 0.02, L * 0.03], part="seat"))
    if not canoe and rng.random() < 0.5:
        hw, deck = deck_at(st, 0.0)
        for sx in (-1, 1):
            parts.append(bar([sx * hw * 0.95, deck, 0.0], [sx * (hw + L * 0.5), deck - D * 0.7, -L * rng.uniform(0.0, 0.2)], 0.05, "trim"))
    elif canoe and rng.random() < 0.5:  # a paddle across the gunwales
        hw, deck = deck_at(st, -L * 0.1)
        parts.append(bar([-hw * 1.3, deck + 0.02, -L * 0.15], [hw * 1.3, deck + 0.02, -L * 0.05], 0.04, "trim"))
    return parts


def warship(rng):
    """A destroyer or frigate: a long narrow grey hull, a stepped superstructure with masts and radar, gun
    turrets fore and aft, one or two funnels."""
    L = rng.uniform(80, 170)
    B = L * rng.uniform(0.1, 0.13)
    D = L * rng.uniform(0.06, 0.08)
    st = hull_stations(rng, L, B, D, stern_w=rng.uniform(0.7, 0.9), sheer=D * rng.uniform(0.1, 0.4), rake=L * rng.uniform(0.03, 0.1),
                       entry=rng.uniform(0.3, 0.45), deadrise=rng.uniform(0.4, 0.7))
    parts = hull(st)
    z0 = -L * rng.uniform(0.05, 0.3)
    z1 = L * rng.uniform(0.05, 0.2)
    hw, deck = deck_at(st, (z0 + z1) / 2)
    sp, top, (t0, t1, _) = tiers(rng, z0, z1, deck, hw * 0.85, int(rng.integers(2, 4)), D * rng.uniform(0.4, 0.7), glass=False, step=0.15)
    parts += sp
    zm = t1 - (t1 - t0) * rng.uniform(0.2, 0.5)
    hm = D * rng.uniform(1.0, 2.2)
    parts.append(Convex(np.concatenate([[[sx * hw * 0.3, top - 0.5, zm + sz * L * 0.02] for sx in (-1, 1) for sz in (-1, 1)],
                                        [[0, top + hm, zm]]]), "trim"))
    parts.append(box([0, top + hm * 0.6, zm], [hw * 0.5, 0.3, 0.3], part="trim"))
    for k in range(int(rng.choice([1, 2]))):
        parts.append(funnel(0, deck, z0 + (z1 - z0) * (0.2 + 0.25 * k), B * 0.08, top - deck + D * rng.uniform(0.2, 0.6), rng.uniform(0.0, 0.3)))
    guns = [L * rng.uniform(0.22, 0.3)] + ([-L * rng.uniform(0.3, 0.38)] if rng.random() < 0.6 else [])
    for zg in guns:
        hwg, dg = deck_at(st, zg)
        r = B * rng.uniform(0.12, 0.2)
        parts.append(cylinder([0, dg + r * 0.3, zg], r, r * 0.45, part="trim", sides=10))
        sgn = 1 if zg > 0 else -1
        for bx in ((0.0,) if rng.random() < 0.6 else (-r * 0.3, r * 0.3)):
            parts.append(bar([bx, dg + r * 0.4, zg], [bx, dg + r * 0.6, zg + sgn * r * rng.uniform(2.0, 3.5)], r * 0.18, "trim", round_=True))
    if rng.random() < 0.5:  # a helicopter deck
        hwh, dh = deck_at(st, -L * 0.4)
        parts.append(block(-hwh, hwh, dh - 0.2, dh + 0.3, -L / 2 + L * 0.01, -L * 0.32, "hull"))
    return parts


def submarine(rng):
    """A cigar hull with a fin (sail) and its planes, a cross or X tail and a propeller."""
    L = rng.uniform(50, 120)
    R = L * rng.uniform(0.045, 0.075)
    secs = []
    for s, r in ((0.0, 0.08), (0.06, 0.35), (0.18, 0.75), (0.3, 0.95), (0.45, 1.0), (0.75, 1.0), (0.88, 0.9), (0.96, 0.65), (1.0, 0.25)):
        secs.append(np.array([[r * R * np.cos(a), R + r * R * np.sin(a), -L / 2 + s * L] for a in 2 * np.pi * np.arange(10) / 10]))
    parts = loft(secs, "hull")
    zs = L * rng.uniform(0.05, 0.25)
    sl = L * rng.uniform(0.08, 0.14)
    sh = R * rng.uniform(1.0, 2.0)
    parts.append(block(-R * 0.2, R * 0.2, R * 1.8, 2 * R + sh, zs - sl / 2, zs + sl / 2, "tower", taper=rng.uniform(0.0, 0.3)))
    if rng.random() < 0.6:  # fin planes
        parts.append(box([0, 2 * R + sh * 0.6, zs + sl * 0.1], [R * 0.9, R * 0.03, sl * 0.15], part="tower"))
    else:  # bow planes
        parts.append(box([0, R * 1.3, L * 0.35], [R * 1.3, R * 0.03, L * 0.02], part="hull"))
    x_tail = rng.random() < 0.3
    for k in range(4):
        a = (np.pi / 4 if x_tail else 0.0) + k * np.pi / 2
        d = np.array([np.cos(a), np.sin(a), 0.0])
        root = np.array([0, R, -L / 2 + L * 0.08]) + d * R * 0.2
        tip = root + d * R * rng.uniform(1.2, 1.7)
        parts.append(Convex(np.concatenate([[root, root + [0, 0, L * 0.06], tip, tip + [0, 0, L * 0.03]] + d[[1, 0, 2]] * [1, -1, 0] * R * 0.04,
                                            [root, root + [0, 0, L * 0.06], tip, tip + [0, 0, L * 0.03]] - d[[1, 0, 2]] * [1, -1, 0] * R * 0.04]),
                            "hull"))
    parts.append(cylinder([0, R, -L / 2 - L * 0.003], R * 0.5, L * 0.005, axis=(0, 0, 1), part="trim", sides=7))
    return parts


def cruise(rng):
    """A cruise ship or ferry: a tall stack of decks over most of the hull, balconies and window bands,
    lifeboats along the sides, one or more funnels."""
    L = rng.uniform(80, 300)
    B = L * rng.uniform(0.12, 0.17)
    D = L * rng.uniform(0.05, 0.08)
    st = hull_stations(rng, L, B, D, stern_w=rng.uniform(0.85, 1.0), sheer=D * rng.uniform(0.0, 0.2), rake=L * rng.uniform(0.03, 0.12),
                       entry=rng.uniform(0.25, 0.4), deadrise=rng.uniform(0.6, 0.9))
    parts = hull(st)
    z0 = -L / 2 + L * rng.uniform(0.02, 0.12)
    z1 = L / 2 - L * rng.uniform(0.18, 0.3)
    hw, deck = deck_at(st, 0.0)
    n = int(rng.integers(2, 7))
    sp, top, _ = tiers(rng, z0, z1, deck, hw * 0.98, n, D * rng.uniform(0.35, 0.55), step=rng.uniform(0.0, 0.06))
    parts += sp
    for k in range(int(rng.choice([1, 1, 2, 3]))):
        parts.append(funnel(0, deck, z0 + (z1 - z0) * rng.uniform(0.15, 0.45) - k * L * 0.06, B * 0.1, top - deck + D * rng.uniform(0.3, 0.8),
                            rng.uniform(0.0, 0.4)))
    if rng.random() < 0.6:  # lifeboats
        for z in np.linspace(z0 + L * 0.05, z1 - L * 0.05, int(rng.integers(3, 7))):
            for sx in (-1, 1):
                parts.append(box([sx * hw * 0.98 * 0.98, deck + D * 0.5, z], [B * 0.04, D * 0.12, L * 0.02], part="trim"))
    return parts


def tug(rng):
    """A tug or trawler: a short beamy hull with a high bow, a wheelhouse forward or amidships, a mast, a
    towing or trawl gantry aft."""
    L = rng.uniform(15, 40)
    B = L * rng.uniform(0.3, 0.38)
    D = L * rng.uniform(0.12, 0.17)
    st = hull_stations(rng, L, B, D, stern_w=rng.uniform(0.6, 0.9), sheer=D * rng.uniform(0.3, 0.7), rake=L * rng.uniform(0.05, 0.15),
                       entry=rng.uniform(0.35, 0.5), deadrise=rng.uniform(0.4, 0.8))
    parts = hull(st)
    zc = L * rng.uniform(-0.05, 0.2)
    cl = L * rng.uniform(0.2, 0.35)
    hw, deck = deck_at(st, zc)
    sp, top, (t0, t1, _) = tiers(rng, zc - cl / 2, zc + cl / 2, deck, hw * rng.uniform(0.6, 0.85), int(rng.choice([1, 2])), D * rng.uniform(0.7, 1.0))
    parts += sp
    parts.append(mast([0, top - 0.2, (t0 + t1) / 2], D * rng.uniform(0.8, 1.6), L * 0.012))
    if rng.random() < 0.6:
        parts.append(funnel(0, deck, zc - cl * 0.4, B * 0.1, top - deck + D * 0.3, rng.uniform(0.0, 0.3)))
    if rng.random() < 0.5:  # an A-frame gantry at the stern
        hws, ds = deck_at(st, -L / 2 + L * 0.05)
        for sx in (-1, 1):
            parts.append(bar([sx * hws * 0.8, ds, -L / 2 + L * 0.05], [sx * hws * 0.5, ds + D * 1.5, -L / 2 + L * 0.02], L * 0.015, "trim"))
        parts.append(bar([-hws * 0.5, ds + D * 1.5, -L / 2 + L * 0.02], [hws * 0.5, ds + D * 1.5, -L / 2 + L * 0.02], L * 0.015, "trim"))
    parts.append(block(-hw * 1.02, hw * 1.02, deck - D * 0.2, deck - D * 0.05, -L * 0.35, L * 0.3, "trim"))  # fender rubbing strake
    return parts


BUILDERS = {"sailboat": sailboat, "tall_ship": tall_ship, "motor_yacht": motor_yacht, "cargo": cargo, "speedboat": speedboat,
            "rowboat": rowboat, "warship": warship, "submarine": submarine, "cruise": cruise, "tug": tug}
assert tuple(BUILDERS) == FAMILIES


def _colours(rng, family):
    """Per-part RGB and (shininess, specular): white gelcoat yachts, varnished wood dinghies, painted steel
    ships (dark hull, white superstructure), grey warships, black submarines; white or tan sails."""
    kind = "paint"
    if family == "warship":
        g = rng.uniform(0.45, 0.7)
        hull_c = cabin = (g, g, g * 1.05)
    elif family == "submarine":
        g = rng.uniform(0.05, 0.25)
        hull_c = cabin = (g, g, g)
        kind = "matte"
    elif family in ("rowboat", "tall_ship") and rng.random() < 0.7:
        hull_c = hsv(rng.uniform(0.05, 0.1), rng.uniform(0.5, 0.8), rng.uniform(0.3, 0.7))
        cabin = hull_c
        kind = "wood"
    elif family in ("sailboat", "motor_yacht", "speedboat") and rng.random() < 0.6:
        hull_c = (0.93, 0.93, 0.93) if rng.random() < 0.6 else hsv(rng.uniform(0, 1), rng.uniform(0.4, 0.9), rng.uniform(0.2, 0.8))
        cabin = (0.95, 0.95, 0.95)
        kind = "gloss"
    else:
        hull_c = hsv(rng.uniform(0, 1), rng.uniform(0.4, 0.9), rng.uniform(0.2, 0.7))
        cabin = (0.92, 0.92, 0.9) if rng.random() < 0.7 else hsv(rng.uniform(0, 1), 0.2, 0.9)
    g = rng.uniform(0.3, 0.6)
    colours = {"hull": hull_c, "cabin": cabin, "glass": hsv(rng.uniform(0.5, 0.65), 0.4, rng.uniform(0.1, 0.3)),
               "mast": (0.8, 0.8, 0.8) if rng.random() < 0.5 else hsv(0.08, 0.6, 0.4),
               "sail": (0.95, 0.95, 0.92) if rng.random() < 0.8 else hsv(rng.uniform(0.05, 0.15), 0.35, 0.85),
               "keel": hull_c, "funnel": hsv(rng.uniform(0, 1), rng.uniform(0.3, 0.9), rng.uniform(0.3, 0.9)),
               "cargo": hsv(rng.uniform(0, 1), rng.uniform(0.4, 0.9), rng.uniform(0.4, 0.8)), "trim": (g, g, g),
               "seat": hsv(rng.uniform(0, 1), rng.uniform(0.1, 0.5), rng.uniform(0.4, 0.9)), "engine": (0.15, 0.15, 0.15),
               "tower": hull_c}
    shininess = {"paint": 30.0, "gloss": 70.0, "wood": 12.0, "matte": 5.0}[kind] * rng.uniform(0.7, 1.3)
    specular = {"paint": 0.3, "gloss": 0.55, "wood": 0.15, "matte": 0.08}[kind]
    return colours, (float(shininess), float(specular))


def make(seed, index):
    """(family, parts, colours per part, material) of vessel `index`, a pure function of (seed, index).

    After its family builds it, the vessel is stretched by an independent factor per axis (length, beam
    and height; a moderate range that keeps a ship a ship), so no two vessels share their proportions."""
    rng = np.random.default_rng([seed, index, SYNSET])
    family = FAMILIES[rng.choice(len(FAMILIES), p=FAMILY_WEIGHTS)]
    parts = BUILDERS[family](rng)
    stretch = np.diag(np.exp(rng.uniform([-0.3, -0.3, -0.25], [0.3, 0.35, 0.25])))
    parts = [p.transformed(stretch) for p in parts]
    colours, material = _colours(rng, family)
    return family, parts, colours, material
