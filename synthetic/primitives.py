"""Closed convex parts for building the objects of every class: each part is a convex polyhedron, so its mesh is
closed and outward-facing by construction and it has an exact inside test (its face planes), which the voxeliser
uses. Curved and swept shapes (bent tubes, curved panels, arcs) are chains of convex cells that share
their end sections, so an object stays a union of closed, consistently oriented triangle meshes.
`normalisation` and `parts_mesh` turn an object's parts into its ShapeNet-normalised mesh.

Geometry only (numpy, scipy); units are free, +y up, front +z.
"""
import numpy as np
from scipy.spatial import ConvexHull


def rot_x(a):
    c, s = np.cos(a), np.sin(a)
    return np.array([[1, 0, 0], [0, c, -s], [0, s, c]])


class Convex:
    """The convex hull of `points` (K, 3): a closed triangle mesh with outward normals and an inside test.

    `part` ("frame", "seat" or "back") picks the colour the part is rendered with.
    """

    def __init__(self, points, part="frame"):
        points = np.asarray(points, float)
        hull = ConvexHull(points)
        remap = np.full(len(points), -1)
        remap[hull.vertices] = np.arange(len(hull.vertices))
        self.verts = points[hull.vertices]  # (V, 3)
        faces = remap[hull.simplices]  # (F, 3), qhull's winding is arbitrary: make every normal point outwards
        tri = self.verts[faces]
        normals = np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0])
        flip = np.einsum("ij,ij->i", normals, hull.equations[:, :3]) < 0
        faces[flip] = faces[flip][:, ::-1]
        self.faces = faces
        self.planes = np.unique(np.round(hull.equations, 12), axis=0)  # (P, 4): n . x + c <= 0 inside, |n| = 1
        self.part = part

    def mesh(self):
        """(V, 3) vertices and (F, 3) outward-facing triangles sharing them: a closed mesh."""
        return self.verts, self.faces

    def render_mesh(self):
        """The same triangles with a vertex per face corner, so the renderer shades each face flat."""
        return self.verts[self.faces].reshape(-1, 3), np.arange(3 * len(self.faces)).reshape(-1, 3)

    def contains(self, p, margin=0.0):
        """(N,) bool: which of the points p (N, 3) lie in the part shrunk by `margin` on every side."""
        return np.all(p @ self.planes[:, :3].T + self.planes[:, 3] <= -margin, axis=1)

    def transformed(self, matrix):
        """The part mapped by the linear map `matrix` (3, 3), det > 0 (an affine image of a convex set is convex)."""
        return Convex(self.verts @ np.asarray(matrix).T, self.part)


def hsv(h, s, v):
    """(r, g, b) in [0, 1] of a colour given as hue, saturation, value in [0, 1]."""
    i = int(h * 6) % 6
    f = h * 6 - int(h * 6)
    p, q, t = v * (1 - s), v * (1 - f * s), v * (1 - (1 - f) * s)
    return [(v, t, p), (q, v, p), (p, v, t), (p, q, v), (t, p, v), (v, p, q)][i]


def box(center, half, rot=None, part="frame"):
    """A box of half extents `half` (3,), its local axes mapped to world by `rot` (3, 3)."""
    corners = np.array([[x, y, z] for x in (-1, 1) for y in (-1, 1) for z in (-1, 1)], float) * half
    rot = np.eye(3) if rot is None else rot
    return Convex(np.asarray(center, float) + corners @ rot.T, part)


def _frame(axis):
    """Two unit vectors (3,), (3,) perpendicular to `axis` and to each other."""
    axis = axis / np.linalg.norm(axis)
    helper = np.array([1.0, 0, 0]) if abs(axis[0]) < 0.9 else np.array([0, 0, 1.0])
    e1 = np.cross(axis, helper)
    e1 /= np.linalg.norm(e1)
    return e1, np.cross(axis, e1)


def ring(center, axis, radius, sides, phase=0.0):
    """(sides, 3) points of a regular polygon of circumradius `radius` around `center`, normal to `axis`."""
    e1, e2 = _frame(np.asarray(axis, float))
    a = phase + 2 * np.pi * np.arange(sides) / sides
    return np.asarray(center, float) + radius * (np.cos(a)[:, None] * e1 + np.sin(a)[:, None] * e2)


def bar(a, b, thickness, part="frame", round_=False, thickness_b=None):
    """A straight leg, rail or tube from a to b: square section of side `thickness` (or an 8-sided round
    one of that diameter), tapering to `thickness_b` at b when given."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    tb = thickness if thickness_b is None else thickness_b
    sides, phase, k = (8, 0.0, 0.5) if round_ else (4, np.pi / 4, np.sqrt(0.5))
    return Convex(np.concatenate([ring(a, b - a, k * thickness, sides, phase),
                                  ring(b, b - a, k * tb, sides, phase)]), part)


def cylinder(center, radius, half_height, axis=(0, 1, 0), part="frame", sides=12):
    """A round disc or column (a `sides`-gon prism) around `axis`."""
    c, axis = np.asarray(center, float), np.asarray(axis, float) / np.linalg.norm(axis)
    return Convex(np.concatenate([ring(c - axis * half_height, axis, radius, sides),
                                  ring(c + axis * half_height, axis, radius, sides)]), part)


def tube(path, thickness, part="frame", round_=True, closed=False):
    """A tube bent along the polyline `path` (K, 3): one convex cell per segment; neighbouring cells share
    the section at their joint (normal to the mean of the two directions), so the bend has no gap. A
    section's orientation about the tube axis may differ from its neighbour's; each cell stays convex."""
    path = np.asarray(path, float)
    if closed:
        path = np.concatenate([path, path[:1]])
    d = np.diff(path, axis=0)
    d /= np.linalg.norm(d, axis=1, keepdims=True)  # (K-1, 3) segment directions
    tangents = np.concatenate([d[:1], d[:-1] + d[1:], d[-1:]])  # (K, 3) at the points
    if closed:
        tangents[0] = tangents[-1] = d[0] + d[-1]
    sides, phase, k = (6, 0.0, 0.5) if round_ else (4, np.pi / 4, np.sqrt(0.5))
    sections = [ring(p, t, k * thickness, sides, phase) for p, t in zip(path, tangents)]
    return [Convex(np.concatenate([sections[i], sections[i + 1]]), part) for i in range(len(path) - 1)]


def slab(outline, y0, y1, part="seat"):
    """A horizontal plate: the convex polygon `outline` (K, 2) of (x, z) points, from height y0 to y1."""
    outline = np.asarray(outline, float)
    lift = lambda y: np.stack([outline[:, 0], np.full(len(outline), y), outline[:, 1]], 1)
    return Convex(np.concatenate([lift(y0), lift(y1)]), part)


def rounded_rect(w, d, radius, per_corner=3):
    """(4 * per_corner, 2) convex outline of a w x d rectangle (x, z) with rounded corners."""
    radius = min(radius, w / 2 * 0.99, d / 2 * 0.99)
    pts = []
    for k, (sx, sz) in enumerate(((1, 1), (-1, 1), (-1, -1), (1, -1))):
        a = np.pi / 2 * k + np.linspace(0, np.pi / 2, per_corner)
        c = np.array([sx * (w / 2 - radius), sz * (d / 2 - radius)])
        pts.append(c + radius * np.stack([np.cos(a), np.sin(a)], 1))
    return np.concatenate(pts)


def sheet(surface, nu, nv, thickness, part="back", keep=None):
    """A thick curved panel: `surface(u, v)` maps arrays u, v in [0, 1] to mid-surface points (..., 3).
    Each of the nu x nv cells is the convex hull of its four corners offset by +-thickness/2 along the
    surface normal; neighbouring cells share those corners. `keep` (nu, nv) bool drops cells: holes,
    slats, windows.
    """
    u, v = np.meshgrid(np.linspace(0, 1, nu + 1), np.linspace(0, 1, nv + 1), indexing="ij")
    mid = surface(u, v)  # (nu+1, nv+1, 3)
    eps = 1e-4
    normal = np.cross(surface(u + eps, v) - surface(u - eps, v), surface(u, v + eps) - surface(u, v - eps))
    normal /= np.linalg.norm(normal, axis=-1, keepdims=True)
    lo, hi = mid - normal * thickness / 2, mid + normal * thickness / 2
    cells = []
    for i in range(nu):
        for j in range(nv):
            if keep is None or keep[i, j]:
                corners = np.concatenate([lo[i:i + 2, j:j + 2].reshape(4, 3), hi[i:i + 2, j:j + 2].reshape(4, 3)])
                cells.append(Convex(corners, part))
    return cells


def blob(center, radii, rng, part="seat", squash_top=0.0):
    """A soft lump (cushion, bean bag): the hull of 60 jittered points on an ellipsoid of `radii` (3,),
    its top flattened by `squash_top` (a share of the y radius)."""
    n = 60
    g = rng.normal(size=(n, 3))
    g /= np.linalg.norm(g, axis=1, keepdims=True)
    pts = g * np.asarray(radii) * rng.uniform(0.9, 1.05, (n, 1))
    pts[:, 1] = np.minimum(pts[:, 1], radii[1] * (1 - squash_top))
    return Convex(np.asarray(center, float) + pts, part)


def normalisation(parts):
    """(centre, scale): world = (raw - centre) * scale puts the bounding box at the origin with diagonal 1."""
    verts = np.concatenate([p.mesh()[0] for p in parts])
    lo, hi = verts.min(0), verts.max(0)
    return (lo + hi) / 2, 1.0 / np.linalg.norm(hi - lo)


def parts_mesh(parts, centre, scale, colours, for_render=False):
    """One mesh of all parts, normalised: verts (V, 3), faces (F, 3), per-vertex RGB (V, 3).

    `for_render` gives the triangles to draw: a vertex per face corner (flat-shaded faces), without the
    triangles that have another part's material on their outer side (buried in it, or a face two cells
    of a panel or tube share). Those are never seen, and the CPU rasteriser's time grows with the number
    of triangles."""
    verts, faces, cols, offset = [], [], [], 0
    for i, p in enumerate(parts):
        v, f = p.render_mesh() if for_render else p.mesh()
        if for_render:
            tri = v[f]  # (F, 3, 3)
            normal = np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0])
            outside = tri.mean(1) + 1e-5 * normal / np.linalg.norm(normal, axis=1, keepdims=True)  # (F, 3)
            hidden = np.zeros(len(f), bool)
            for j, q in enumerate(parts):
                if j != i:  # q holds the whole triangle (it is convex) and the material just outside it
                    hidden |= q.contains(tri.reshape(-1, 3), margin=-1e-9).reshape(-1, 3).all(1) & q.contains(outside)
            f = f[~hidden]
        verts.append((v - centre) * scale)
        faces.append(f + offset)
        cols.append(np.tile(colours[p.part], (len(v), 1)))
        offset += len(v)
    return np.concatenate(verts), np.concatenate(faces), np.concatenate(cols)
