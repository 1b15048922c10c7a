"""Procedural cars (ShapeNet synset 02958343): the families, their parts and proportions (numpy only).

A car is a list of closed convex parts (synthetic/primitives.py) in raw units (about metres), +y up, the
bonnet towards +z, wheels resting on y = 0, as the chairs are. Most cars are a box on four wheels, so what a
one-view reconstruction has to get right is the profile: how high the body is against its length, where
the cabin sits and how it slopes (a saloon's three boxes, a hatchback's cut-off tail, an estate's long
roof, a van's one box, a sports car's low cabin set back behind a long bonnet), how big the wheels are and
how far the body clears them, and the open or tall shapes that break the box: a pickup's bed, a
convertible's open top with seats, a lorry's cab and load box, a bus, a jeep's spare wheel and roll bar, a
classic car's separate mudguards and running boards. Within a family every length, height, overhang,
slope and radius varies, and an anisotropic stretch per car comes last. `make(seed, index)` is a pure
function.

The twelve families: sedan, hatchback, wagon, suv, pickup, sports, convertible, van, bus, truck, offroad,
classic.
"""
import numpy as np

from synthetic.primitives import Convex, bar, box, cylinder, hsv

FAMILIES = ("sedan", "hatchback", "wagon", "suv", "pickup", "sports", "convertible", "van", "bus", "truck", "offroad",
            "classic")
FAMILY_WEIGHTS = np.array([12, 8, 5, 9, 6, 9, 5, 6, 3, 4, 5, 5], float)
FAMILY_WEIGHTS /= FAMILY_WEIGHTS.sum()
SYNSET = 2958343


# ---------------------------------------------------------------------------------------------------
# Building blocks: a lofted body, a cabin, wheels, lamps and bumpers.
# ---------------------------------------------------------------------------------------------------
def section(z, hw, y0, y1, r):
    """(8, 3) points of a body section at z: a rectangle x in [-hw, hw], y in [y0, y1] with corners cut by r."""
    r = min(r, hw * 0.9, (y1 - y0) * 0.45)
    return np.array([[sx * hw, y0 + r, z] for sx in (-1, 1)] + [[sx * (hw - r), y0, z] for sx in (-1, 1)] +
                    [[sx * hw, y1 - r, z] for sx in (-1, 1)] + [[sx * (hw - r * 1.3), y1, z] for sx in (-1, 1)])


def loft(sections, part):
    """Convex cells between consecutive sections: a body whose height and width change along its length."""
    return [Convex(np.concatenate([sections[i], sections[i + 1]]), part) for i in range(len(sections) - 1)]


def lower_body(L, W, profile, y0, r, part="body", nose_drop=0.25, tail_drop=0.2):
    """The body below the windows: `profile` (K, 2) of (share of length from the rear, top height); the
    bumpers at both ends are rounded down and in."""
    secs = []
    for k, (s, top) in enumerate(profile):
        z = -L / 2 + s * L
        end = k in (0, len(profile) - 1)
        drop = (nose_drop if k else tail_drop) * (top - y0) if end else 0.0
        secs.append(section(z, W / 2 * (0.93 if end else 1.0), y0 + (0.25 * (top - y0) * 0.4 if end else 0.0), top - drop, r))
    return loft(secs, part)


def cabin(z_back, z_front, z_roof_back, z_roof_front, y_belt, y_roof, w_belt, w_roof, part="glass", roof=True, roof_t=0.04):
    """The greenhouse: the hull of the belt-line rectangle and the (narrower, shorter) roof rectangle, a
    roof panel on top."""
    pts = [[sx * w_belt / 2, y_belt, z] for sx in (-1, 1) for z in (z_back, z_front)]
    pts += [[sx * w_roof / 2, y_roof, z] for sx in (-1, 1) for z in (z_roof_back, z_roof_front)]
    parts = [Convex(pts, part)]
    if roof:
        parts.append(box([0, y_roof + roof_t / 2 - 0.005, (z_roof_back + z_roof_front) / 2],
                         [w_roof / 2 + 0.01, roof_t / 2, (z_roof_front - z_roof_back) / 2 + 0.01], part="body"))
    return parts


def wheels(zs, x, r, width, rng, part="wheel", hub=True):
    """A pair of wheels at each axle position z, centred at +-x, radius r, resting on y = 0."""
    parts = []
    style = rng.random()
    for z in zs:
        for sx in (-1, 1):
            parts.append(cylinder([sx * x, r, z], r, width / 2, axis=(1, 0, 0), part=part, sides=12))
            if hub:
                parts.append(cylinder([sx * (x + width / 2), r, z], r * (0.55 + 0.2 * style), 0.012, axis=(1, 0, 0), part="trim", sides=10))
    return parts


def lamps(z_front, z_back, W, y_front, y_back, rng, round_=False):
    """Headlamps on the nose, tail lamps on the back (thin plates just proud of the body)."""
    parts = []
    hw = W * rng.uniform(0.08, 0.16)
    hh = rng.uniform(0.04, 0.09)
    for sx in (-1, 1):
        x = sx * (W / 2 - hw - W * rng.uniform(0.02, 0.06))
        if round_:
            parts.append(cylinder([x, y_front, z_front], hh * 1.3, 0.03, axis=(0, 0, 1), part="light", sides=10))
        else:
            parts.append(box([x, y_front, z_front], [hw, hh, 0.03], part="light"))
        parts.append(box([x, y_back, z_back], [hw * 0.9, hh * 0.9, 0.03], part="tail_light"))
    return parts


def mirrors(z, y, W, part="body"):
    return [box([sx * (W / 2 - 0.075), y, z], [0.175, 0.05, 0.03], part=part) for sx in (-1, 1)]


# ---------------------------------------------------------------------------------------------------
# A saloon-like car: most families are this with different profiles.
# ---------------------------------------------------------------------------------------------------
def car(rng, L, W, clearance, belt, roof_h, wheel_r, kind, bonnet=None, boot=None):
    """A car of length L, width W: body from `clearance` to `belt`, cabin up to `roof_h`. `kind` sets the
    cabin: "notch" (saloon), "hatch", "long" (estate), "box" (one-box van), "low" (sports), "open"."""
    r = rng.uniform(0.05, 0.2)
    bonnet = belt - rng.uniform(0.0, 0.12) if bonnet is None else bonnet
    boot = belt - rng.uniform(-0.02, 0.08) if boot is None else boot
    nose = rng.uniform(0.7, 0.92) * bonnet
    front_oh = L * rng.uniform(0.14, 0.22)
    rear_oh = L * rng.uniform(0.13, 0.24)
    wb = L - front_oh - rear_oh
    za = -L / 2 + rear_oh
    zf = L / 2 - front_oh
    # the cabin's belt-line span and roof span
    if kind == "notch":
        zb0, zb1 = za + wb * rng.uniform(-0.05, 0.12), zf - wb * rng.uniform(0.15, 0.3)
        zr0, zr1 = zb0 + L * rng.uniform(0.08, 0.15), zb1 - L * rng.uniform(0.12, 0.2)
    elif kind == "hatch":
        zb0, zb1 = -L / 2 + 0.05, zf - wb * rng.uniform(0.1, 0.28)
        zr0, zr1 = zb0 + L * rng.uniform(0.03, 0.12), zb1 - L * rng.uniform(0.12, 0.22)
    elif kind == "long":
        zb0, zb1 = -L / 2 + 0.08, zf - wb * rng.uniform(0.12, 0.28)
        zr0, zr1 = zb0 + L * rng.uniform(0.01, 0.04), zb1 - L * rng.uniform(0.1, 0.2)
    elif kind == "box":
        zb0, zb1 = -L / 2 + 0.05, L / 2 - L * rng.uniform(0.08, 0.22)
        zr0, zr1 = zb0 + L * rng.uniform(0.0, 0.03), zb1 - L * rng.uniform(0.05, 0.2)
    elif kind == "low":
        zb0, zb1 = za - rear_oh * rng.uniform(0.0, 0.4), zf - wb * rng.uniform(0.3, 0.5)
        zr0, zr1 = zb0 + L * rng.uniform(0.1, 0.2), zb1 - L * rng.uniform(0.15, 0.22)
    else:  # open: no cabin
        zb0, zb1 = za + wb * 0.1, zf - wb * rng.uniform(0.25, 0.4)
        zr0, zr1 = zb0, zb1
    zr1 = max(zr1, zr0 + 0.3)
    s = lambda z: (z + L / 2) / L
    profile = [(0.0, boot * 0.9), (0.04, boot), (s(zb0) if kind in ("notch", "low", "open") else 0.5, boot if kind in ("notch", "low", "open") else belt),
               (s(zb1), belt), (min(s(zb1) + 0.05, 0.93), bonnet), (0.96, nose * 1.03), (1.0, nose)]
    profile = sorted(profile)
    parts = lower_body(L, W, profile, clearance, r)
    if kind != "open":
        tumble = rng.uniform(0.7, 0.9)
        parts += cabin(zb0, zb1, zr0, zr1, belt - 0.03, roof_h, W * rng.uniform(0.88, 0.97), W * tumble, roof=rng.random() < 0.85)
    tw = W * rng.uniform(0.12, 0.16)
    parts += wheels([za, zf], W / 2 - tw / 2 + rng.uniform(-0.02, 0.04), wheel_r, tw, rng)
    parts += lamps(L / 2 - 0.02, -L / 2 + 0.02, W, (clearance + nose) / 2 + 0.05, (clearance + boot) / 2 + 0.08, rng)
    if kind not in ("open", "low") and rng.random() < 0.7:
        parts += mirrors(zb1 - 0.1, belt + 0.02, W)
    info = dict(za=za, zf=zf, zb0=zb0, zb1=zb1, zr0=zr0, zr1=zr1)
    return parts, info


# ---------------------------------------------------------------------------------------------------
# Families.
# ---------------------------------------------------------------------------------------------------
def sedan(rng):
    L = rng.uniform(4.2, 5.3)
    wr = rng.uniform(0.3, 0.36)
    belt = rng.uniform(0.85, 1.0)
    return car(rng, L, rng.uniform(1.7, 1.95), wr * rng.uniform(0.45, 0.75), belt, belt + rng.uniform(0.38, 0.55), wr, "notch")[0]


def hatchback(rng):
    L = rng.uniform(3.3, 4.4)
    wr = rng.uniform(0.28, 0.34)
    belt = rng.uniform(0.85, 1.0)
    return car(rng, L, rng.uniform(1.6, 1.85), wr * rng.uniform(0.45, 0.7), belt, belt + rng.uniform(0.45, 0.62), wr, "hatch")[0]


def wagon(rng):
    L = rng.uniform(4.4, 5.2)
    wr = rng.uniform(0.3, 0.36)
    belt = rng.uniform(0.85, 1.0)
    parts, _ = car(rng, L, rng.uniform(1.75, 1.95), wr * rng.uniform(0.45, 0.7), belt, belt + rng.uniform(0.45, 0.58), wr, "long")
    return parts


def suv(rng):
    L = rng.uniform(4.2, 5.2)
    wr = rng.uniform(0.36, 0.44)
    belt = rng.uniform(1.05, 1.3)
    W = rng.uniform(1.8, 2.05)
    roof = belt + rng.uniform(0.5, 0.68)
    parts, info = car(rng, L, W, wr * rng.uniform(0.7, 1.1), belt, roof, wr, rng.choice(["long", "hatch"], p=[0.7, 0.3]))
    if rng.random() < 0.5:  # roof rails
        for sx in (-1, 1):
            parts.append(box([sx * W * 0.35, roof + 0.06, (info["zr0"] + info["zr1"]) / 2], [0.025, 0.035, (info["zr1"] - info["zr0"]) / 2 * 0.9], part="trim"))
    if rng.random() < 0.3:  # a spare wheel on the tailgate
        parts.append(cylinder([0, belt * 0.8, -L / 2 - 0.08], wr * 0.95, 0.11, axis=(0, 0, 1), part="wheel", sides=12))
    return parts


def pickup(rng):
    """A cab with its windows, an open load bed behind (floor, sides, tailgate)."""
    L = rng.uniform(4.8, 6.0)
    W = rng.uniform(1.8, 2.05)
    wr = rng.uniform(0.36, 0.45)
    clearance = wr * rng.uniform(0.7, 1.1)
    belt = rng.uniform(1.05, 1.3)
    bed = L * rng.uniform(0.3, 0.42)
    cab_len = L * rng.uniform(0.2, 0.32)
    front_oh = L * rng.uniform(0.12, 0.18)
    z_bed = -L / 2 + bed
    bonnet = belt - rng.uniform(0.0, 0.1)
    profile = [(0.0, belt * 0.95), (0.02, belt), (bed / L, belt), (bed / L + cab_len / L + 0.02, bonnet), (0.96, bonnet * 0.97),
               (1.0, bonnet * 0.85)]
    parts = lower_body(L, W, profile, clearance, rng.uniform(0.04, 0.15), nose_drop=0.15, tail_drop=0.05)
    parts = [p for p in parts if p.verts[:, 2].max() > z_bed + 1e-6]  # the bed is built open: a floor block and walls
    depth = rng.uniform(0.35, 0.55)
    floor_y = belt - depth
    parts.append(box([0, (clearance + floor_y) / 2, -L / 2 + bed / 2], [W / 2, (floor_y - clearance) / 2, bed / 2 + 0.01], part="body"))
    t = 0.05
    for sx in (-1, 1):
        parts.append(box([sx * (W / 2 - t / 2), (floor_y + belt) / 2, -L / 2 + bed / 2], [t / 2, (belt - floor_y) / 2, bed / 2], part="body"))
    parts.append(box([0, (floor_y + belt) / 2, -L / 2 + t / 2], [W / 2, (belt - floor_y) / 2, t / 2], part="body"))
    roof = belt + rng.uniform(0.5, 0.68)
    zb0 = z_bed + 0.02
    zb1 = z_bed + cab_len
    parts += cabin(zb0 - 0.04, zb1, zb0, zb1 - cab_len * rng.uniform(0.3, 0.5), belt - 0.03, roof, W * 0.95, W * rng.uniform(0.8, 0.9))
    tw = W * 0.13
    za = -L / 2 + bed * rng.uniform(0.35, 0.6)
    zf = L / 2 - front_oh
    parts += wheels([za, zf], W / 2 - tw / 2 + 0.02, wr, tw, rng)
    parts += lamps(L / 2 - 0.02, -L / 2 + 0.01, W, (clearance + bonnet) / 2 + 0.05, belt - 0.2, rng)
    if rng.random() < 0.4:  # a roll bar over the bed
        for sx in (-1, 1):
            parts.append(bar([sx * (W / 2 - t), floor_y, zb0 - 0.15], [sx * (W / 2 - t), roof - 0.1, zb0 - 0.15], 0.06, "trim", round_=True))
        parts.append(bar([-(W / 2 - t), roof - 0.1, zb0 - 0.15], [W / 2 - t, roof - 0.1, zb0 - 0.15], 0.06, "trim", round_=True))
    return parts


def sports(rng):
    L = rng.uniform(4.0, 4.8)
    wr = rng.uniform(0.31, 0.36)
    belt = rng.uniform(0.7, 0.85)
    W = rng.uniform(1.85, 2.05)
    parts, info = car(rng, L, W, wr * rng.uniform(0.3, 0.5), belt, belt + rng.uniform(0.3, 0.42), wr, "low",
                      bonnet=belt - rng.uniform(0.1, 0.22), boot=belt - rng.uniform(-0.03, 0.08))
    if rng.random() < 0.55:  # a rear wing on two posts
        y = belt + rng.uniform(0.1, 0.35)
        z = -L / 2 + rng.uniform(0.15, 0.3)
        for sx in (-1, 1):
            parts.append(bar([sx * W * 0.3, belt - 0.1, z], [sx * W * 0.3, y, z - 0.05], 0.05, "trim"))
        parts.append(box([0, y + 0.02, z - 0.05], [W * rng.uniform(0.4, 0.5), 0.02, rng.uniform(0.1, 0.18)], part="trim"))
    return parts


def convertible(rng):
    """An open car: windscreen frame, seats with head rests showing, sometimes roll hoops."""
    L = rng.uniform(3.8, 4.8)
    wr = rng.uniform(0.3, 0.35)
    belt = rng.uniform(0.8, 0.95)
    W = rng.uniform(1.7, 1.95)
    parts, info = car(rng, L, W, wr * rng.uniform(0.4, 0.65), belt, belt, wr, "open")
    zb1 = info["zb1"]
    ws_h = rng.uniform(0.3, 0.45)
    rake = rng.uniform(0.4, 0.9)
    parts.append(Convex([[sx * W * 0.46, belt - 0.03, zb1 + dz] for sx in (-1, 1) for dz in (0.0, 0.05)] +
                        [[sx * W * 0.43, belt + ws_h, zb1 - ws_h * np.tan(rake) + dz] for sx in (-1, 1) for dz in (0.0, 0.05)], "glass"))
    rows = 1 if rng.random() < 0.5 else 2
    seat_h = belt + rng.uniform(0.15, 0.35)
    for k in range(rows):
        z = zb1 - 0.55 - k * 0.85
        for sx in (-1, 1):
            parts.append(box([sx * W * 0.22, (belt + seat_h) / 2 - 0.1, z], [W * 0.16, (seat_h - belt) / 2 + 0.1, 0.08], rot=None, part="seat"))
            if rng.random() < 0.7:
                parts.append(box([sx * W * 0.22, seat_h + 0.08, z - 0.02], [W * 0.1, 0.09, 0.06], part="seat"))
    return parts


def van(rng):
    L = rng.uniform(4.4, 5.6)
    wr = rng.uniform(0.32, 0.4)
    belt = rng.uniform(1.0, 1.2)
    W = rng.uniform(1.85, 2.05)
    parts, _ = car(rng, L, W, wr * rng.uniform(0.55, 0.9), belt, belt + rng.uniform(0.7, 1.15), wr, "box",
                   bonnet=belt - rng.uniform(0.05, 0.25))
    return parts


def bus(rng):
    """A long box on small wheels: a glass band along both sides, a big windscreen, two or three axles."""
    L = rng.uniform(8, 13)
    W = rng.uniform(2.4, 2.6)
    H = rng.uniform(2.9, 3.6) if rng.random() < 0.8 else rng.uniform(4.0, 4.4)  # or a double-decker
    wr = rng.uniform(0.45, 0.55)
    y0 = wr * rng.uniform(0.6, 0.9)
    r = rng.uniform(0.05, 0.3)
    parts = loft([section(-L / 2, W / 2, y0, H, r), section(L / 2 - 0.1, W / 2, y0, H, r), section(L / 2, W / 2 - 0.05, y0 + 0.05, H - 0.1, r)], "body")
    decks = 2 if H > 3.9 else 1
    for d in range(decks):
        ylo = (1.3 + 1.9 * d) if decks == 2 else H * rng.uniform(0.4, 0.5)
        yhi = ylo + rng.uniform(0.8, 1.1)
        parts.append(box([0, (ylo + yhi) / 2, -0.2], [W / 2 + 0.02, (yhi - ylo) / 2, L / 2 - 0.5], part="glass"))
    parts.append(box([0, H * 0.55, L / 2 - 0.02], [W / 2 - 0.1, H * 0.3, 0.05], part="glass"))
    tw = 0.3
    axles = [-L / 2 + L * rng.uniform(0.15, 0.25), L / 2 - L * rng.uniform(0.15, 0.22)]
    if L > 11.5:
        axles.append(axles[0] + 1.4)
    parts += wheels(axles, W / 2 - tw / 2 - 0.05, wr, tw, rng)
    parts += lamps(L / 2 + 0.01, -L / 2 - 0.01, W, y0 + 0.4, y0 + 0.6, rng)
    return parts


def truck(rng):
    """A lorry: a cab at the front and a load box (or flat bed, or tank) behind on a frame, two or three axles."""
    W = rng.uniform(2.3, 2.55)
    wr = rng.uniform(0.45, 0.55)
    cab_len = rng.uniform(1.6, 2.4)
    load_len = rng.uniform(3.5, 7.5)
    gap = rng.uniform(0.05, 0.3)
    L = cab_len + gap + load_len
    frame_y = wr * 1.6
    cab_h = rng.uniform(2.6, 3.4)
    z_cab0 = L / 2 - cab_len
    bonnet = rng.random() < 0.3
    parts = [box([0, frame_y - 0.15, 0], [W * 0.38, 0.15, L / 2 - 0.1], part="trim")]  # chassis frame
    if bonnet:  # a bonneted cab: engine hood ahead of the cab
        hood = rng.uniform(1.0, 1.6)
        parts.append(box([0, (frame_y - 0.3 + cab_h * 0.55) / 2, L / 2 - hood / 2], [W * 0.42, (cab_h * 0.55 - frame_y + 0.3) / 2, hood / 2], part="body"))
        z_cab1 = L / 2 - hood
    else:
        z_cab1 = L / 2
    cab_y0 = frame_y - 0.3
    parts += loft([section(z_cab0, W / 2, cab_y0, cab_h, 0.12), section(z_cab1 - 0.2, W / 2, cab_y0, cab_h, 0.12),
                   section(z_cab1, W / 2 - 0.05, cab_y0, cab_h - 0.25, 0.12)], "body")
    parts.append(box([0, cab_h * 0.72, z_cab1 - 0.12], [W / 2 - 0.08, cab_h * 0.14, 0.13], part="glass"))
    for sx in (-1, 1):
        parts.append(box([sx * (W / 2), cab_h * 0.72, z_cab1 - 0.6], [0.02, cab_h * 0.12, 0.35], part="glass"))
    kind = rng.choice(["box", "flat", "tank"], p=[0.6, 0.2, 0.2])
    zl = -L / 2 + load_len / 2
    if kind == "box":
        h = rng.uniform(2.0, 2.8)
        parts.append(box([0, frame_y + h / 2, zl], [W / 2 + 0.02, h / 2, load_len / 2], part="cargo"))
    elif kind == "flat":
        parts.append(box([0, frame_y + 0.08, zl], [W / 2, 0.08, load_len / 2], part="cargo"))
        for sx in (-1, 1):
            parts.append(box([sx * (W / 2 - 0.03), frame_y + 0.45, zl], [0.03, 0.3, load_len / 2], part="cargo"))
    else:
        r = rng.uniform(0.9, 1.2)
        parts.append(cylinder([0, frame_y + r - 0.1, zl], r, load_len / 2, axis=(0, 0, 1), part="cargo", sides=14))
    tw = 0.35
    axles = [L / 2 - rng.uniform(0.6, 1.0) - (L / 2 - z_cab1), -L / 2 + load_len * rng.uniform(0.15, 0.3)]
    if load_len > 5.5 or rng.random() < 0.3:
        axles.append(axles[1] + 1.3)
    parts += wheels(axles, W / 2 - tw / 2 - 0.05, wr, tw, rng)
    return parts


def offroad(rng):
    """A boxy four-by-four: upright screen, flat panels, big wheels outside the body, a spare wheel on the
    back, sometimes open with a roll bar."""
    L = rng.uniform(3.6, 4.8)
    W = rng.uniform(1.7, 1.95)
    wr = rng.uniform(0.38, 0.46)
    clearance = wr * rng.uniform(0.8, 1.2)
    belt = clearance + rng.uniform(0.55, 0.75)
    front_oh = rng.uniform(0.5, 0.8)
    rear_oh = rng.uniform(0.5, 0.9)
    bonnet_len = rng.uniform(0.9, 1.4)
    r = rng.uniform(0.02, 0.06)
    parts = lower_body(L, W * 0.88, [(0, belt), (0.02, belt), (1 - bonnet_len / L, belt), (0.98, belt - 0.05), (1.0, belt - 0.1)], clearance, r,
                       nose_drop=0.1, tail_drop=0.02)
    z_ws = L / 2 - bonnet_len
    roof = belt + rng.uniform(0.6, 0.8)
    if rng.random() < 0.6:  # hard top
        parts += cabin(-L / 2 + 0.02, z_ws, -L / 2 + 0.02, z_ws - rng.uniform(0.05, 0.25), belt - 0.03, roof, W * 0.86, W * 0.84)
    else:
        parts.append(box([0, belt + 0.2, z_ws], [W * 0.42, 0.22, 0.03], rot=None, part="glass"))
        for z in (z_ws - 0.9, -L / 2 + 0.4):
            for sx in (-1, 1):
                parts.append(bar([sx * W * 0.4, belt - 0.05, z], [sx * W * 0.4, roof - 0.1, z], 0.06, "trim", round_=True))
            parts.append(bar([-W * 0.4, roof - 0.1, z], [W * 0.4, roof - 0.1, z], 0.06, "trim", round_=True))
    for sx in (-1, 1):  # mudguards over the wheels
        parts.append(box([sx * W * 0.47, belt - 0.08, 0], [W * 0.06, 0.03, L / 2 - 0.3], part="body"))
    tw = W * 0.15
    parts += wheels([-L / 2 + rear_oh, L / 2 - front_oh], W / 2 - tw / 2 + 0.03, wr, tw, rng)
    parts.append(cylinder([0, (clearance + belt) / 2 + 0.1, -L / 2 - 0.1], wr, 0.12, axis=(0, 0, 1), part="wheel", sides=12))
    parts += lamps(L / 2 + 0.01, -L / 2 - 0.01, W * 0.88, belt - 0.2, belt - 0.25, rng, round_=True)
    return parts


def classic(rng):
    """A pre-war or fifties car: narrow body, separate flowing mudguards joined by running boards, tall
    upright cabin or a rounded beetle back, big round lamps."""
    L = rng.uniform(3.8, 5.0)
    W = rng.uniform(1.5, 1.8)
    wr = rng.uniform(0.33, 0.4)
    clearance = wr * rng.uniform(0.9, 1.2)
    belt = clearance + rng.uniform(0.45, 0.65)
    front_oh = rng.uniform(0.4, 0.7)
    rear_oh = rng.uniform(0.5, 0.9)
    za, zf = -L / 2 + rear_oh, L / 2 - front_oh
    body_w = W * rng.uniform(0.72, 0.82)
    rounded = rng.random() < 0.5
    prof = [(0.0, belt * 0.8), (0.1, belt), (0.7, belt), (0.95, belt * 0.9), (1.0, belt * 0.7)]
    parts = lower_body(L * 0.96, body_w, prof, clearance, 0.15 if rounded else 0.05)
    roof = belt + rng.uniform(0.5, 0.75)
    z_ws = L / 2 - L * rng.uniform(0.3, 0.42)
    if rounded:
        parts += cabin(-L / 2 + 0.3, z_ws, -L / 2 + L * 0.3, z_ws - 0.3, belt - 0.03, roof, body_w * 0.95, body_w * 0.6, roof=False)
    else:
        parts += cabin(za - 0.1, z_ws, za, z_ws - 0.1, belt - 0.03, roof, body_w * 0.95, body_w * 0.92)
    for sx in (-1, 1):
        x = sx * (W / 2 - 0.12)
        for z in (za, zf):  # mudguards: an arch over each wheel
            secs = []
            for a in np.linspace(-1.1, 1.1, 4):
                c = np.array([x, wr + (wr + 0.05) * np.cos(a), z + (wr + 0.1) * np.sin(a)])
                secs.append(np.array([c + [dx, dy, 0] for dx in (-0.12, 0.12) for dy in (0.0, 0.05)]))
            parts += loft(secs, "body")
        parts.append(box([x * 0.95, clearance + 0.03, (za + zf) / 2], [0.14, 0.03, (zf - za) / 2 - wr * 0.6], part="trim"))  # running board
        parts.append(bar([x * 0.9, clearance + 0.03, (za + zf) / 2], [x * 0.5, clearance + 0.1, (za + zf) / 2], 0.06, "trim"))
    tw = 0.16
    parts += wheels([za, zf], W / 2 - 0.12, wr, tw, rng)
    for sx in (-1, 1):
        parts.append(cylinder([sx * body_w * 0.4, belt + 0.05, L * 0.48 - 0.1], 0.1, 0.08, axis=(0, 0, 1), part="light", sides=10))
        parts.append(bar([sx * body_w * 0.4, belt + 0.05, L * 0.48 - 0.1], [sx * body_w * 0.3, belt * 0.7, L * 0.48 - 0.35], 0.04, "trim"))
    parts.append(box([0, (clearance + belt) / 2 + 0.1, L * 0.48], [body_w * 0.25, (belt - clearance) / 2, 0.04], part="trim"))  # grille
    return parts


BUILDERS = {"sedan": sedan, "hatchback": hatchback, "wagon": wagon, "suv": suv, "pickup": pickup, "sports": sports,
            "convertible": convertible, "van": van, "bus": bus, "truck": truck, "offroad": offroad, "classic": classic}
assert tuple(BUILDERS) == FAMILIES


def _colours(rng, family):
    """Per-part RGB and (shininess, specular): glossy or metallic paint, dark glass, black tyres, chrome or
    black trim; lorries' load boxes in a colour of their own, some matte army paint."""
    kind = rng.choice(["gloss", "metallic", "matte"], p=[0.5, 0.4, 0.1])
    if rng.random() < 0.3:
        g = rng.choice([0.08, 0.9, 0.6]) * rng.uniform(0.9, 1.05)
        body = (min(g, 1),) * 3
    elif kind == "matte":
        body = hsv(rng.uniform(0.15, 0.35), rng.uniform(0.2, 0.5), rng.uniform(0.3, 0.5))
    else:
        body = hsv(rng.uniform(0, 1), rng.uniform(0.4, 1.0), rng.uniform(0.35, 0.95))
    chrome = rng.random() < 0.5
    trim = (0.75, 0.75, 0.78) if chrome else (0.12, 0.12, 0.12)
    colours = {"body": body, "glass": hsv(rng.uniform(0.5, 0.65), rng.uniform(0.1, 0.5), rng.uniform(0.08, 0.3)),
               "wheel": (0.07, 0.07, 0.07), "trim": trim, "light": (0.95, 0.95, 0.85), "tail_light": (0.8, 0.05, 0.05),
               "seat": hsv(rng.uniform(0.0, 0.1), rng.uniform(0.2, 0.7), rng.uniform(0.2, 0.7)),
               "cargo": hsv(rng.uniform(0, 1), rng.uniform(0.0, 0.6), rng.uniform(0.4, 0.95)) if rng.random() < 0.6 else body}
    shininess = {"gloss": 60.0, "metallic": 110.0, "matte": 6.0}[kind] * rng.uniform(0.7, 1.3)
    specular = {"gloss": 0.5, "metallic": 0.8, "matte": 0.08}[kind]
    return colours, (float(shininess), float(specular))


def make(seed, index):
    """(family, parts, colours per part, material) of car `index`, a pure function of (seed, index).

    After its family builds it, the car is stretched by an independent factor per axis (a moderate range:
    a car squashed further stops looking like one), so no two cars share their proportions."""
    rng = np.random.default_rng([seed, index, SYNSET])
    family = FAMILIES[rng.choice(len(FAMILIES), p=FAMILY_WEIGHTS)]
    parts = BUILDERS[family](rng)
    stretch = np.diag(np.exp(rng.uniform([-0.15, -0.2, -0.15], [0.15, 0.2, 0.15])))
    parts = [p.transformed(stretch) for p in parts]
    colours, material = _colours(rng, family)
    return family, parts, colours, material
