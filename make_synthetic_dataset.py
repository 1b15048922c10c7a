"""Build the embedded dataset: procedurally generated chairs written in the real R2N2 layout.

    python make_synthetic_dataset.py --out data/r2n2_synth                      # the default: 500 chairs x 24 views
    python make_synthetic_dataset.py --out /tmp/tiny --num_models 10 --views 4 --seed 1

Each chair is a union of closed primitives (boxes, cylinders) from one of six structural families:
four-legged, armchair, office chair on a five-star base, stool, bench/sofa and cantilever, with
solid, slatted or hollow-frame backs. Proportions vary continuously; colours and materials (matte wood,
fabric, glossy plastic, metal) vary per chair. For every chair it writes what R2N2 has:
  shapenet/03001627/<id>/model.obj                  the mesh, ShapeNetCore v1 normalisation (bounding box
                                                    centred at the origin, diagonal 1), +y up, front +z
  r2n2/ShapeNetRendering/03001627/<id>/rendering/   V 137x137 RGBA PNGs (alpha = silhouette, background
                                                    RGB 0), rendering_metadata.txt, renderings.txt
  r2n2/ShapeNetVoxels/03001627/<id>/model.binvox    a solid 32^3 grid (every voxel that touches the solid)
and split_03001627.json (80 / 5 / 15 % train / val / test) plus families.json (the family of each chair).
The views are rendered with PyTorch3D through the very cameras that pytorch3d.datasets.R2N2 rebuilds
from rendering_metadata.txt (R2N2's ranges: azimuth [0, 360), elevation [25, 30), dist_ratio
[0.65, 0.95), fov written as 25 and, as in R2N2, not applied).

The same seed gives the same dataset. The dataset is built in a temporary folder and renamed when
complete, so an interrupted build never looks like a dataset.
"""
import argparse
import hashlib
import json
import multiprocessing as mp
import os
import shutil
import time

import numpy as np
import torch
from PIL import Image
from tqdm import tqdm

from r2n2_layout import SPLITS_FILE, SYNSET, model_paths, r2n2_camera
from utils_vox import VOX_SIZE, write_binvox

FAMILIES = ("four_leg", "armchair", "office", "stool", "bench_sofa", "cantilever")
FAMILY_WEIGHTS = (0.22, 0.16, 0.16, 0.12, 0.14, 0.20)


# ---------------------------------------------------------------------------------------------------
# Primitives: closed meshes with an exact inside test. `rot` maps local to world axes.
# ---------------------------------------------------------------------------------------------------
def rot_x(a):
    c, s = np.cos(a), np.sin(a)
    return np.array([[1, 0, 0], [0, c, -s], [0, s, c]])


def rot_y(a):
    c, s = np.cos(a), np.sin(a)
    return np.array([[c, 0, s], [0, 1, 0], [-s, 0, c]])


def rot_z(a):
    c, s = np.cos(a), np.sin(a)
    return np.array([[c, -s, 0], [s, c, 0], [0, 0, 1]])


_BOX_CORNERS = np.array([[x, y, z] for x in (-1, 1) for y in (-1, 1) for z in (-1, 1)], dtype=np.float64)
# Outward-facing triangles of the unit cube with corners indexed x*4 + y*2 + z.
_BOX_FACES = np.array([
    [0, 1, 3], [0, 3, 2], [4, 6, 7], [4, 7, 5],  # x = -1, x = +1
    [0, 4, 5], [0, 5, 1], [2, 3, 7], [2, 7, 6],  # y = -1, y = +1
    [0, 2, 6], [0, 6, 4], [1, 5, 7], [1, 7, 3],  # z = -1, z = +1
])


class Box:
    def __init__(self, center, half, rot=None, part="frame"):
        self.center, self.half = np.asarray(center, float), np.asarray(half, float)
        self.rot = np.eye(3) if rot is None else rot
        self.part = part

    def mesh(self):
        """(8, 3) corners and (12, 3) outward-facing triangles: a closed mesh."""
        return self.center + (_BOX_CORNERS * self.half) @ self.rot.T, _BOX_FACES.copy()

    def render_mesh(self):
        """The same triangles with a vertex per face corner, so the renderer shades each side flat."""
        v, f = self.mesh()
        return v[f].reshape(-1, 3), np.arange(3 * len(f)).reshape(-1, 3)

    def contains(self, p, margin=0.0):
        """(N,) bool: which of the points p (N, 3) lie in the box shrunk by `margin` on every side."""
        local = (p - self.center) @ self.rot
        return np.all(np.abs(local) <= self.half - margin, axis=1)


class Cylinder:
    """Axis along local y, radius r, half height h."""

    SEGMENTS = 12

    def __init__(self, center, radius, half_height, rot=None, part="frame"):
        self.center, self.r, self.h = np.asarray(center, float), float(radius), float(half_height)
        self.rot = np.eye(3) if rot is None else rot
        self.part = part

    def _rings(self):
        a = 2 * np.pi * np.arange(self.SEGMENTS) / self.SEGMENTS
        ring = np.stack([self.r * np.cos(a), np.zeros_like(a), self.r * np.sin(a)], 1)  # (n, 3)
        return ring + [0, -self.h, 0], ring + [0, self.h, 0]

    def _faces(self, bottom, top, bottom_cap, top_cap, centre_b, centre_t):
        i = np.arange(self.SEGMENTS)
        j = (i + 1) % self.SEGMENTS
        return np.concatenate([
            np.stack([bottom + i, top + j, bottom + j], 1), np.stack([bottom + i, top + i, top + j], 1),  # side
            np.stack([np.full_like(i, centre_b), bottom_cap + i, bottom_cap + j], 1),  # bottom cap
            np.stack([np.full_like(i, centre_t), top_cap + j, top_cap + i], 1),  # top cap
        ])

    def mesh(self):
        """A closed 12-sided prism: (2n + 2, 3) vertices, (4n, 3) outward-facing triangles."""
        n = self.SEGMENTS
        lo, hi = self._rings()
        verts = np.concatenate([lo, hi, [[0, -self.h, 0], [0, self.h, 0]]])
        return self.center + verts @ self.rot.T, self._faces(0, n, 0, n, 2 * n, 2 * n + 1)

    def render_mesh(self):
        """The same triangles, the caps with vertices of their own: smooth sides, flat caps."""
        n = self.SEGMENTS
        lo, hi = self._rings()
        verts = np.concatenate([lo, hi, lo, hi, [[0, -self.h, 0], [0, self.h, 0]]])
        return self.center + verts @ self.rot.T, self._faces(0, n, 2 * n, 3 * n, 4 * n, 4 * n + 1)

    def contains(self, p, margin=0.0):
        """(N,) bool: which of the points p (N, 3) lie in the prism the mesh describes (not the round
        cylinder, so voxels and mesh agree exactly), shrunk by `margin` on every side."""
        local = (p - self.center) @ self.rot
        n = self.SEGMENTS
        a = 2 * np.pi * (np.arange(n) + 0.5) / n  # directions of the side faces' outward normals
        apothem = self.r * np.cos(np.pi / n) - margin
        radial = local[:, 0:1] * np.cos(a) + local[:, 2:3] * np.sin(a)  # (N, n)
        return (np.abs(local[:, 1]) <= self.h - margin) & np.all(radial <= apothem, axis=1)


def bar(a, b, thickness, part="frame", round_=False):
    """A box (or cylinder) of square section `thickness` from point a to point b."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    d = b - a
    length = np.linalg.norm(d)
    y = d / length
    helper = np.array([1.0, 0, 0]) if abs(y[0]) < 0.9 else np.array([0, 0, 1.0])
    x = np.cross(y, helper)
    x /= np.linalg.norm(x)
    z = np.cross(x, y)
    rot = np.stack([x, y, z], 1)
    if round_:
        return Cylinder((a + b) / 2, thickness / 2, length / 2, rot, part)
    return Box((a + b) / 2, [thickness / 2, length / 2, thickness / 2], rot, part)


# ---------------------------------------------------------------------------------------------------
# Chair families. Units: roughly metres before normalisation; y up, seat front towards +z.
# ---------------------------------------------------------------------------------------------------
def _legs(rng, w, d, h, t, round_, splay=0.0, inset=0.0):
    out = []
    for sx in (-1, 1):
        for sz in (-1, 1):
            top = np.array([sx * (w / 2 - t / 2 - inset), h, sz * (d / 2 - t / 2 - inset)])
            bottom = top + np.array([sx * splay, -h, sz * splay])
            out.append(bar(bottom, top, t, "frame", round_))
    return out


def _back(rng, w, d, seat_top, height, t, style, tilt):
    """A back rising from the rear of the seat: solid panel, vertical slats or a hollow frame."""
    z0 = -d / 2 + t / 2
    top = height * np.array([0.0, np.cos(tilt), -np.sin(tilt)])  # the back's axis, `height` long
    parts = []
    if style == "solid":
        rot = rot_x(-tilt)
        center = np.array([0, seat_top, z0]) + top / 2
        parts.append(Box(center, [w / 2, height / 2, t / 2], rot, "back"))
        return parts
    # Two posts and a top rail; slats fill between them, or a lower rail leaves a through-hole.
    post_t = t * rng.uniform(1.0, 1.4)
    for sx in (-1, 1):
        base = np.array([sx * (w / 2 - post_t / 2), seat_top, z0])
        parts.append(bar(base, base + top, post_t, "frame"))
    rail_h = height * rng.uniform(0.12, 0.25)
    rail_c = np.array([0, seat_top, z0]) + top * (1 - rail_h / height / 2)
    parts.append(Box(rail_c, [w / 2 - post_t, rail_h / 2, t / 2], rot_x(-tilt), "back"))
    inner_w = w - 2 * post_t
    if style == "slats":
        n = int(rng.integers(2, 6))
        slat_w = inner_w / (2 * n + 1) * rng.uniform(0.8, 1.2)
        slat_len = height - rail_h
        for k in range(n):
            x = -inner_w / 2 + inner_w * (k + 0.5) / n
            c = np.array([x, seat_top, z0]) + top * (slat_len / height / 2)
            parts.append(Box(c, [slat_w / 2, slat_len / 2, t / 2 * 0.8], rot_x(-tilt), "back"))
    else:  # "frame": a lower rail, a hole in between
        low_h = height * rng.uniform(0.08, 0.2)
        c = np.array([0, seat_top, z0]) + top * (low_h / height / 2 + rng.uniform(0.0, 0.15))
        parts.append(Box(c, [inner_w / 2, low_h / 2, t / 2], rot_x(-tilt), "back"))
    return parts


def _seat_dims(rng, wide=False):
    w = rng.uniform(0.40, 0.56) * (rng.uniform(2.0, 3.2) if wide else 1.0)
    d = rng.uniform(0.38, 0.52)
    h = rng.uniform(0.38, 0.50)
    t = rng.uniform(0.03, 0.08)
    return w, d, h, t


def four_leg(rng, arms=False):
    w, d, h, t = _seat_dims(rng)
    leg_t = rng.uniform(0.025, 0.055)
    round_ = rng.random() < 0.35
    parts = [Box([0, h - t / 2, 0], [w / 2, t / 2, d / 2], part="seat")]
    legs = _legs(rng, w, d, h - t, leg_t, round_, splay=rng.uniform(0, 0.04) if rng.random() < 0.4 else 0.0)
    parts += legs
    if rng.random() < 0.4:  # stretchers between the legs
        y = rng.uniform(0.08, 0.2)
        for back_leg, front_leg in ((legs[0], legs[1]), (legs[2], legs[3])):  # left pair, right pair
            ends = [leg.center + leg.rot[:, 1] * (y - leg.center[1]) / leg.rot[1, 1] for leg in (back_leg, front_leg)]
            parts.append(bar(ends[0], ends[1], leg_t * 0.6))  # from leg axis to leg axis at height y
    style = rng.choice(["solid", "slats", "frame"], p=[0.35, 0.35, 0.3])
    parts += _back(rng, w, d, h, rng.uniform(0.35, 0.55), rng.uniform(0.025, 0.05), style, rng.uniform(0.0, 0.25))
    if arms:
        arm_h = rng.uniform(0.18, 0.28)
        arm_t = rng.uniform(0.03, 0.06)
        for sx in (-1, 1):
            x = sx * (w / 2 + arm_t / 2)
            parts.append(bar([x, h - t, d / 2 - arm_t], [x, h + arm_h, d / 2 - arm_t], arm_t))  # front post
            parts.append(Box([x, h + arm_h + arm_t / 2, 0], [arm_t * 0.8, arm_t / 2, d / 2], part="seat"))  # armrest
    return parts


def armchair(rng):
    if rng.random() < 0.5:
        return four_leg(rng, arms=True)
    # Upholstered armchair: solid base, thick cushion, thick back, solid arms with a gap under the seat front.
    w, d, h, _ = _seat_dims(rng)
    w *= rng.uniform(1.2, 1.5)
    leg = rng.uniform(0.04, 0.12)
    parts = [Box([0, leg + (h - leg) / 2, 0], [w / 2, (h - leg) / 2, d / 2], part="seat")]
    parts += _legs(rng, w, d, leg, 0.04, False)
    arm_w = rng.uniform(0.07, 0.14)
    arm_top = h + rng.uniform(0.12, 0.25)
    for sx in (-1, 1):
        parts.append(Box([sx * (w / 2 + arm_w / 2), leg + (arm_top - leg) / 2, 0], [arm_w / 2, (arm_top - leg) / 2, d / 2], part="back"))
    back_t = rng.uniform(0.08, 0.16)
    back_h = rng.uniform(0.35, 0.5)
    parts.append(Box([0, h + back_h / 2, -d / 2 + back_t / 2], [w / 2, back_h / 2, back_t / 2], part="back"))
    return parts


def office(rng):
    w, d, h, t = _seat_dims(rng)
    h += rng.uniform(0.0, 0.08)
    column_r = rng.uniform(0.022, 0.04)
    spoke_len = rng.uniform(0.25, 0.34)
    wheel = rng.uniform(0.03, 0.05)
    parts = [Box([0, h - t / 2, 0], [w / 2, t / 2, d / 2], part="seat")]
    base_y = wheel * 2 + 0.015
    parts.append(Cylinder([0, (base_y + h - t) / 2, 0], column_r, (h - t - base_y) / 2))
    phase = rng.uniform(0, 2 * np.pi)
    for k in range(5):
        a = phase + 2 * np.pi * k / 5
        tip = np.array([np.cos(a) * spoke_len, base_y, np.sin(a) * spoke_len])
        parts.append(bar([0, base_y, 0], tip, rng.uniform(0.03, 0.045)))
        parts.append(Cylinder(tip - [0, wheel + 0.01, 0], wheel, wheel * 0.6, rot_z(np.pi / 2) @ rot_x(0) @ rot_y(a)))
    style = rng.choice(["solid", "frame", "slats"], p=[0.6, 0.25, 0.15])
    gap = rng.uniform(0.03, 0.1)
    back_h = rng.uniform(0.35, 0.6)
    if style == "solid":
        tilt, z = rng.uniform(0, 0.2), -d / 2 - 0.02
        parts.append(bar([0, h - t, z], [0, h + gap + 0.02, z], 0.04))  # support, its top inside the back
        axis = np.array([0.0, np.cos(tilt), -np.sin(tilt)])
        half = [w / 2 * rng.uniform(0.8, 1.0), back_h / 2, 0.025]
        parts.append(Box(np.array([0, h + gap, z]) + axis * back_h / 2, half, rot_x(-tilt), "back"))
    else:
        parts += _back(rng, w, d, h, back_h, 0.035, style, rng.uniform(0.05, 0.25))
    if rng.random() < 0.5:  # arms on two posts
        for sx in (-1, 1):
            x = sx * (w / 2 - 0.03)
            parts.append(bar([x, h, 0], [x, h + 0.2, 0], 0.03))
            parts.append(Box([x, h + 0.215, 0], [0.035, 0.015, d / 2 * 0.8], part="seat"))
    return parts


def stool(rng):
    h = rng.uniform(0.45, 0.8)
    t = rng.uniform(0.03, 0.07)
    parts = []
    if rng.random() < 0.55:
        r = rng.uniform(0.16, 0.24)
        parts.append(Cylinder([0, h - t / 2, 0], r, t / 2, part="seat"))
        n = int(rng.choice([3, 4]))
        leg_t = rng.uniform(0.025, 0.045)
        splay = rng.uniform(0.0, 0.08)
        ring_y = h * rng.uniform(0.25, 0.45)
        phase = rng.uniform(0, 2 * np.pi)
        tops = []
        for k in range(n):
            a = phase + 2 * np.pi * k / n
            top = np.array([np.cos(a) * (r - leg_t), h - t, np.sin(a) * (r - leg_t)])
            bottom = top + np.array([np.cos(a) * splay, -(h - t), np.sin(a) * splay])
            parts.append(bar(bottom, top, leg_t, round_=True))
            tops.append(bottom + (top - bottom) * ring_y / (h - t))
        if rng.random() < 0.6:  # foot rest ring: bars between the legs
            for k in range(n):
                parts.append(bar(tops[k], tops[(k + 1) % n], leg_t * 0.7))
    else:
        w = rng.uniform(0.3, 0.45)
        d = w * rng.uniform(0.8, 1.2)
        parts.append(Box([0, h - t / 2, 0], [w / 2, t / 2, d / 2], part="seat"))
        parts += _legs(rng, w, d, h - t, rng.uniform(0.025, 0.05), rng.random() < 0.5)
        if rng.random() < 0.6:
            y = (h - t) * rng.uniform(0.2, 0.4)
            lt = 0.02
            for sx in (-1, 1):
                parts.append(bar([sx * (w / 2 - lt), y, -d / 2 + lt], [sx * (w / 2 - lt), y, d / 2 - lt], lt))
    return parts


def bench_sofa(rng):
    w, d, h, t = _seat_dims(rng, wide=True)
    if rng.random() < 0.5:  # sofa: boxy, upholstered
        leg = rng.uniform(0.03, 0.1)
        d *= rng.uniform(1.2, 1.6)
        parts = [Box([0, leg + (h - leg) / 2, 0], [w / 2, (h - leg) / 2, d / 2], part="seat")]
        parts += _legs(rng, w, d, leg, 0.05, False)
        back_t = rng.uniform(0.12, 0.22)
        back_h = rng.uniform(0.3, 0.45)
        parts.append(Box([0, h + back_h / 2, -d / 2 + back_t / 2], [w / 2, back_h / 2, back_t / 2], part="back"))
        arm_w = rng.uniform(0.08, 0.18)
        arm_h = rng.uniform(0.1, 0.25)
        for sx in (-1, 1):
            parts.append(Box([sx * (w / 2 + arm_w / 2), leg + (h + arm_h - leg) / 2, 0], [arm_w / 2, (h + arm_h - leg) / 2, d / 2], part="back"))
        return parts
    # bench: long seat, legs or two solid side panels, optional slatted back
    parts = [Box([0, h - t / 2, 0], [w / 2, t / 2, d / 2], part="seat")]
    if rng.random() < 0.5:
        parts += _legs(rng, w, d, h - t, rng.uniform(0.03, 0.06), rng.random() < 0.3)
    else:
        pt = rng.uniform(0.03, 0.06)
        for sx in (-1, 1):
            parts.append(Box([sx * (w / 2 - pt / 2 - 0.02), (h - t) / 2, 0], [pt / 2, (h - t) / 2, d / 2 * 0.9]))
    if rng.random() < 0.6:
        parts += _back(rng, w, d, h, rng.uniform(0.3, 0.45), 0.03, rng.choice(["slats", "frame", "solid"]), rng.uniform(0, 0.2))
    return parts


def cantilever(rng):
    """A bent tube frame: floor runners, front uprights, a seat support running back, back posts."""
    w, d, h, t = _seat_dims(rng)
    tube = rng.uniform(0.022, 0.035)
    round_ = rng.random() < 0.6
    parts = [Box([0, h - t / 2, 0], [w / 2, t / 2, d / 2], part="seat")]
    front = d / 2 + rng.uniform(-0.02, 0.06)  # the runners may reach beyond the seat front
    back = -d / 2 + rng.uniform(-0.05, 0.12)
    bend = d / 2 - tube / 2 - rng.uniform(0.0, 0.08)  # where the uprights meet the seat support
    y0 = tube / 2
    y1 = h - t - 0.45 * tube  # the seat support reaches just into the seat (a round tube's prism too)
    for sx in (-1, 1):
        x = sx * (w / 2 - tube / 2)
        parts.append(bar([x, y0, back], [x, y0, front], tube, round_=round_))  # floor runner
        parts.append(bar([x, y0, front], [x, y1, bend], tube, round_=round_))  # upright
        parts.append(bar([x, y1, bend], [x, y1, -d / 2 + tube / 2], tube, round_=round_))  # seat support
    if rng.random() < 0.5:  # a cross bar at the back of the floor runners
        parts.append(bar([-(w / 2 - tube / 2), y0, back], [w / 2 - tube / 2, y0, back], tube, round_=round_))
    style = rng.choice(["solid", "frame", "slats"], p=[0.4, 0.35, 0.25])
    parts += _back(rng, w, d, h, rng.uniform(0.35, 0.5), rng.uniform(0.02, 0.04), style, rng.uniform(0.05, 0.3))
    return parts


BUILDERS = {"four_leg": four_leg, "armchair": armchair, "office": office, "stool": stool,
            "bench_sofa": bench_sofa, "cantilever": cantilever}


def make_chair(seed, index):
    """(family, primitives, colours per part, material) of chair `index`, a pure function of (seed, index)."""
    rng = np.random.default_rng([seed, index])
    family = FAMILIES[rng.choice(len(FAMILIES), p=FAMILY_WEIGHTS)]
    parts = BUILDERS[family](rng)
    material = rng.choice(["wood", "fabric", "plastic", "metal"])
    hue = rng.uniform(0, 1)

    def hsv(h, s, v):
        i = int(h * 6) % 6
        f = h * 6 - int(h * 6)
        p, q, t = v * (1 - s), v * (1 - f * s), v * (1 - (1 - f) * s)
        return [(v, t, p), (q, v, p), (p, v, t), (p, q, v), (t, p, v), (v, p, q)][i]

    if material == "wood":
        frame = hsv(rng.uniform(0.05, 0.1), rng.uniform(0.5, 0.8), rng.uniform(0.35, 0.75))
    elif material == "metal":
        g = rng.uniform(0.5, 0.85)
        frame = (g, g, g * rng.uniform(0.95, 1.05))
    else:
        frame = hsv(hue, rng.uniform(0.3, 0.9), rng.uniform(0.3, 0.95))
    same = rng.random() < 0.5
    seat = frame if same else hsv(rng.uniform(0, 1), rng.uniform(0.2, 0.9), rng.uniform(0.35, 0.95))
    colours = {"frame": frame, "seat": seat, "back": seat if rng.random() < 0.7 else frame}
    shininess = {"wood": 10.0, "fabric": 2.0, "plastic": 60.0, "metal": 120.0}[material] * rng.uniform(0.7, 1.3)
    specular = {"wood": 0.15, "fabric": 0.03, "plastic": 0.5, "metal": 0.8}[material]
    return family, parts, colours, (float(shininess), float(specular))


def normalisation(parts):
    """(centre, scale): world = (raw - centre) * scale puts the bounding box at the origin with diagonal 1."""
    verts = np.concatenate([p.mesh()[0] for p in parts])
    lo, hi = verts.min(0), verts.max(0)
    return (lo + hi) / 2, 1.0 / np.linalg.norm(hi - lo)


def chair_mesh(parts, centre, scale, colours, for_render=False):
    """One mesh of all primitives, normalised: verts (V, 3), faces (F, 3), per-vertex RGB (V, 3).
    `for_render` gives the same triangles with unshared vertices along sharp edges (flat-shaded sides)."""
    verts, faces, cols, offset = [], [], [], 0
    for p in parts:
        v, f = p.render_mesh() if for_render else p.mesh()
        verts.append((v - centre) * scale)
        faces.append(f + offset)
        cols.append(np.tile(colours[p.part], (len(v), 1)))
        offset += len(v)
    return np.concatenate(verts), np.concatenate(faces), np.concatenate(cols)


def voxelize(parts, centre, scale, surface_points, d=VOX_SIZE, sub=4):
    """(d, d, d) bool in the utils_vox frame: every voxel that the solid touches, as binvox marks them:
    the interior (tested on sub^3 points per voxel, so parts thinner than a voxel are kept) and every
    voxel holding a point of the surface (so slivers thinner than the sub-sampling are kept too)."""
    occ = np.zeros((d, d, d), bool)
    idx = np.floor((surface_points + 0.5) * d).astype(int).clip(0, d - 1)  # (N, 3) x, y, z
    occ[idx[:, 2], idx[:, 1], idx[:, 0]] = True
    offsets = (np.arange(sub) + 0.5) / sub
    for p in parts:
        v, _ = p.mesh()
        lo = np.floor(((v - centre) * scale + 0.5).min(0) * d).astype(int).clip(0, d - 1)
        hi = np.floor(((v - centre) * scale + 0.5).max(0) * d).astype(int).clip(0, d - 1)
        # sample points of the voxel block [lo, hi] (x, y, z indices)
        axes = [(np.arange(lo[a], hi[a] + 1)[:, None] + offsets[None]).reshape(-1) / d - 0.5 for a in range(3)]
        X, Y, Z = np.meshgrid(*axes, indexing="ij")
        pts = np.stack([X, Y, Z], -1).reshape(-1, 3)
        inside = p.contains(pts / scale + centre).reshape(len(axes[0]), len(axes[1]), len(axes[2]))
        n = [hi[a] - lo[a] + 1 for a in range(3)]
        block = inside.reshape(n[0], sub, n[1], sub, n[2], sub).any(axis=(1, 3, 5))  # (nx, ny, nz)
        occ[lo[2]:hi[2] + 1, lo[1]:hi[1] + 1, lo[0]:hi[0] + 1] |= block.transpose(2, 1, 0)
    return occ


def sample_surface(verts, faces, n, rng):
    """n points uniformly on the surface of a triangle mesh (area-weighted), plus its vertices."""
    tri = verts[faces]  # (F, 3, 3)
    area = 0.5 * np.linalg.norm(np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0]), axis=1)
    face = rng.choice(len(faces), size=n, p=area / area.sum())
    u, v = rng.random(n), rng.random(n)
    flip = u + v > 1
    u[flip], v[flip] = 1 - u[flip], 1 - v[flip]
    t = tri[face]
    points = t[:, 0] + u[:, None] * (t[:, 1] - t[:, 0]) + v[:, None] * (t[:, 2] - t[:, 0])
    return np.concatenate([points, verts])


def write_obj(path, verts, faces):
    lines = [f"v {x:.6f} {y:.6f} {z:.6f}" for x, y, z in verts] + [f"f {a + 1} {b + 1} {c + 1}" for a, b, c in faces]
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


def render_views(verts, faces, colours, material, cameras_rtk):
    """(V, 137, 137, 4) uint8 RGBA renders through the R2N2 cameras."""
    from pytorch3d.datasets.r2n2.utils import BlenderCamera
    from pytorch3d.renderer import (BlendParams, HardPhongShader, Materials, MeshRasterizer, MeshRenderer,
                                    PointLights, RasterizationSettings, TexturesVertex)
    from pytorch3d.structures import Meshes

    R, T, K = (torch.stack(x) for x in zip(*cameras_rtk))
    n = len(R)
    cams = BlenderCamera(R=R, T=T, K=K)
    centre = cams.get_camera_center()  # (V, 3)
    lights = PointLights(location=centre + torch.tensor([0.4, 1.0, 0.3]), ambient_color=((0.35,) * 3,),
                         diffuse_color=((0.65,) * 3,), specular_color=((material[1],) * 3,))
    tex = TexturesVertex(torch.tensor(colours, dtype=torch.float32)[None])
    mesh = Meshes([torch.tensor(verts, dtype=torch.float32)], [torch.tensor(faces)], textures=tex).extend(n)
    renderer = MeshRenderer(
        MeshRasterizer(cameras=cams, raster_settings=RasterizationSettings(image_size=137, faces_per_pixel=1)),
        HardPhongShader(cameras=cams, lights=lights, materials=Materials(shininess=material[0]),
                        blend_params=BlendParams(background_color=(0.0, 0.0, 0.0))),
    )
    with torch.no_grad():
        img = renderer(mesh)  # (V, 137, 137, 4), alpha 1 on the object, 0 elsewhere
    rgba = (img.clamp(0, 1) * 255).round().to(torch.uint8).numpy()
    rgba[..., :3] *= (rgba[..., 3:] > 0)  # background RGB exactly 0
    return rgba


def model_id(seed, index):
    return hashlib.md5(f"synthetic-chair-{seed}-{index}".encode()).hexdigest()


def build_model(job):
    """Write every file of one chair under `root`; returns (model id, family)."""
    root, seed, index, views = job
    torch.set_num_threads(1)
    family, parts, colours, material = make_chair(seed, index)
    centre, scale = normalisation(parts)
    verts, faces, _ = chair_mesh(parts, centre, scale, colours)
    mid = model_id(seed, index)
    paths = model_paths(root, mid)
    ren_dir = paths["rendering"]
    for f in (paths["obj"], paths["binvox"], paths["metadata"]):
        os.makedirs(os.path.dirname(f), exist_ok=True)
    write_obj(paths["obj"], verts, faces)
    rng = np.random.default_rng([seed, index, 1])
    surface = sample_surface(verts, faces, 50000, rng)
    write_binvox(paths["binvox"], voxelize(parts, centre, scale, surface))
    meta = np.stack([rng.uniform(0, 360, views), rng.uniform(25, 30, views), rng.uniform(0.65, 0.95, views)], 1)
    lines = [f"{a:.6f} {e:.6f} 0 {r:.6f} 25" for a, e, r in meta]  # azim elev yaw dist_ratio fov
    rows = [[float(w) for w in line.split()] for line in lines]  # the rounded values a loader reads back
    cams = [r2n2_camera(azim, elev, dist_ratio) for azim, elev, _, dist_ratio, _ in rows]
    images = render_views(*chair_mesh(parts, centre, scale, colours, for_render=True), material, cams)
    for v in range(views):
        Image.fromarray(images[v], "RGBA").save(os.path.join(ren_dir, "%02d.png" % v))
    with open(paths["metadata"], "w") as f:
        f.write("\n".join(lines) + "\n")
    with open(os.path.join(ren_dir, "renderings.txt"), "w") as f:
        f.write("\n".join("%02d.png" % v for v in range(views)) + "\n")
    return mid, family


def _is_dataset(path):
    return os.path.isfile(os.path.join(path, SPLITS_FILE))


def _remove_stale_builds(out):
    """Delete `out`.tmp-<pid> folders left by builds whose process is gone (killed, out of power)."""
    parent, name = os.path.split(out)
    for entry in os.listdir(parent):
        pid = entry[len(name) + len(".tmp-"):]
        if not (entry.startswith(name + ".tmp-") and pid.isdigit()):
            continue
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            shutil.rmtree(os.path.join(parent, entry), ignore_errors=True)
        except PermissionError:  # alive, someone else's
            pass


def _write_splits(root, ids, views, seed):
    """80 / 5 / 15 % train / val / test, disjoint, a function of the seed; every model lists all its views."""
    n = len(ids)
    order = np.random.default_rng([seed, 2**31]).permutation(n)
    n_test, n_val = max(1, round(0.15 * n)), max(1, round(0.05 * n))
    members = {"train": order[n_test + n_val:], "val": order[n_test:n_test + n_val], "test": order[:n_test]}
    splits = {name: {SYNSET: {ids[i]: list(range(views)) for i in sorted(idx)}} for name, idx in members.items()}
    with open(os.path.join(root, SPLITS_FILE), "w") as f:
        json.dump(splits, f, indent=1)


def build_dataset(out, num_models=500, views=24, seed=0, workers=2, quiet=False, force=False):
    """Build the dataset into the folder `out` (see the module docstring) and return its absolute path.

    Everything is written into `out`.tmp-<pid> and renamed to `out` once complete, so a folder named
    `out` always holds a whole dataset. Refuses (SystemExit) when `out` already holds one, unless
    `force`, and never deletes a folder that is not a dataset.
    """
    if num_models < 3:
        raise SystemExit(f"error: --num_models must be at least 3 (one chair per split), not {num_models}")
    if not 1 <= views <= 24:
        raise SystemExit(f"error: --views must be between 1 and 24 (R2N2 has 24), not {views}")
    out = os.path.abspath(out)
    if _is_dataset(out) and not force:
        raise SystemExit(f"error: {out} already holds a dataset; pass --force to rebuild it")
    if os.path.exists(out) and not _is_dataset(out) and (not os.path.isdir(out) or os.listdir(out)):
        raise SystemExit(f"error: {out} exists and is not a dataset; remove it or choose another --out")
    os.makedirs(os.path.dirname(out), exist_ok=True)
    _remove_stale_builds(out)
    tmp = f"{out}.tmp-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    os.makedirs(tmp)
    try:
        jobs = [(tmp, seed, i, views) for i in range(num_models)]
        progress = dict(total=num_models, desc="building chairs", unit="chair", disable=quiet)
        if workers > 1:
            with mp.get_context("fork").Pool(workers) as pool:
                results = list(tqdm(pool.imap(build_model, jobs, chunksize=2), **progress))
        else:
            results = [build_model(job) for job in tqdm(jobs, **progress)]
        ids = [mid for mid, _ in results]
        assert len(set(ids)) == len(ids), "model ids collide"
        with open(os.path.join(tmp, "families.json"), "w") as f:
            json.dump(dict(results), f, indent=1)
        _write_splits(tmp, ids, views, seed)  # last: the split file marks a complete dataset
        old = f"{out}.old-{os.getpid()}"
        if os.path.isdir(out):
            os.replace(out, old)  # a dataset (with force) or an empty folder
        os.replace(tmp, out)
        shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--out", default="data/r2n2_synth", help="dataset folder to create (default: the embedded dataset)")
    p.add_argument("--num_models", type=int, default=500, help="number of chairs (default 500)")
    p.add_argument("--views", type=int, default=24, help="renderings per chair (default 24, as R2N2)")
    p.add_argument("--seed", type=int, default=0, help="the same seed gives the same dataset (default 0)")
    p.add_argument("--workers", type=int, default=2, help="parallel processes, one CPU thread each")
    p.add_argument("--force", action="store_true", help="replace an existing dataset in --out")
    args = p.parse_args()
    t0 = time.time()
    out = build_dataset(args.out, args.num_models, args.views, args.seed, args.workers, force=args.force)
    print(f"wrote {args.num_models} chairs x {args.views} views to {out} in {time.time() - t0:.0f} s")


if __name__ == "__main__":
    main()
