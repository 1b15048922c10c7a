"""The one renderer of the repo: meshes, point clouds and voxel grids as pictures, panels and turntable GIFs.

Everything renders with PyTorch3D on whatever device the tensors are on (CPU included), white
background, the object lit from the camera. Shapes are in the object frame of the dataset (ShapeNet
normalisation: centred, bounding-box diagonal 1, +y up).
"""
import imageio.v2 as imageio
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402
from pytorch3d.datasets.r2n2.utils import BlenderCamera  # noqa: E402
from pytorch3d.renderer import (  # noqa: E402
    AlphaCompositor,
    BlendParams,
    FoVPerspectiveCameras,
    HardPhongShader,
    MeshRasterizer,
    MeshRenderer,
    PointLights,
    PointsRasterizationSettings,
    PointsRasterizer,
    PointsRenderer,
    RasterizationSettings,
    TexturesVertex,
    look_at_view_transform,
)
from pytorch3d.renderer.mesh.rasterize_meshes import rasterize_meshes  # noqa: E402
from pytorch3d.renderer.mesh.rasterizer import Fragments  # noqa: E402
from pytorch3d.structures import Meshes, Pointclouds  # noqa: E402

from runtime import atomic_write  # noqa: E402
from utils_vox import voxels_to_meshes  # noqa: E402

MESH_COLOR = (0.55, 0.7, 1.0)
WHITE = (1.0, 1.0, 1.0)


def orbit_cameras(azims, elev=20.0, dist=1.7, device="cpu"):
    """Cameras looking at the origin from the given azimuths (degrees), one per azimuth."""
    R, T = look_at_view_transform(dist=dist, elev=elev, azim=torch.as_tensor(azims, dtype=torch.float32))
    return FoVPerspectiveCameras(R=R, T=T, fov=40.0, device=device)


def input_view_cameras(R, T, K, device="cpu"):
    """The R2N2 camera of an input image, so a prediction can be drawn from the viewpoint it was made from."""
    return BlenderCamera(R=R.reshape(-1, 3, 3), T=T.reshape(-1, 3), K=K.reshape(-1, 4, 4), device=device)


def _lights(cameras):
    return PointLights(location=cameras.get_camera_center(), device=cameras.device)


class TiledMeshRasterizer(MeshRasterizer):
    """MeshRasterizer in tiles, for the CPU, where PyTorch3D only rasterizes naively (its binned, coarse-to-fine
    path is CUDA-only): every pixel tests every face, so a 192^2 picture of a 20k-face mesh takes 2 s on one core
    and an untrained model's 60k-face marching-cubes surface far longer. Here each tile of `tile` x `tile` pixels
    is rasterized with only the faces whose screen bounding box reaches it, by the same PyTorch3D call on the
    faces mapped affinely so the tile fills the screen; the fragments are stitched back, face indices into the
    whole batch's packed faces as MeshRasterizer gives them. Affine maps keep barycentric coordinates and depth,
    so the fragments are MeshRasterizer's up to float rounding at face edges (tests/test_visualize.py)."""

    def __init__(self, cameras=None, raster_settings=None, tile=32):
        super().__init__(cameras, raster_settings)
        self.tile = tile

    def forward(self, meshes_world, **kwargs):
        settings = kwargs.get("raster_settings", self.raster_settings)
        size = settings.image_size
        if meshes_world.device.type != "cpu" or not isinstance(size, int) or size <= self.tile or settings.blur_radius:
            return super().forward(meshes_world, **kwargs)
        ndc = self.transform(meshes_world, **kwargs)  # the screen-space meshes MeshRasterizer rasterizes
        cameras = kwargs.get("cameras", self.cameras)
        perspective = cameras.is_perspective() if settings.perspective_correct is None else settings.perspective_correct
        verts, faces = ndc.verts_packed(), ndc.faces_packed()  # (V, 3), (F, 3)
        mesh_of_face = ndc.faces_packed_to_mesh_idx()  # (F,)
        face_xy = verts[faces][..., :2]  # (F, 3, 2) NDC: +x left, +y up; pixel i's centre at 1 - (2 i + 1) / size
        lo, hi = face_xy.amin(1), face_xy.amax(1)  # (F, 2)
        first_vert, n_verts = ndc.mesh_to_verts_packed_first_idx(), ndc.num_verts_per_mesh()  # (N,), (N,)
        z_clip = self._z_clip(settings, cameras, perspective)
        n, k, pad = len(ndc), settings.faces_per_pixel, 2.0 / size  # a pixel's width of margin
        pix_to_face = torch.full((n, size, size, k), -1, dtype=torch.int64)
        zbuf = torch.full((n, size, size, k), -1.0)
        bary = torch.full((n, size, size, k, 3), -1.0)
        dists = torch.full((n, size, size, k), -1.0)
        for y0 in range(0, size, self.tile):
            for x0 in range(0, size, self.tile):
                h, w = min(self.tile, size - y0), min(self.tile, size - x0)
                # The tile's NDC window (x and y fall as the pixel index grows).
                x_lo, x_hi = 1 - 2 * (x0 + w) / size, 1 - 2 * x0 / size
                y_lo, y_hi = 1 - 2 * (y0 + h) / size, 1 - 2 * y0 / size
                keep = ((hi[:, 0] >= x_lo - pad) & (lo[:, 0] <= x_hi + pad)
                        & (hi[:, 1] >= y_lo - pad) & (lo[:, 1] <= y_hi + pad)).nonzero()[:, 0]  # (F_t,)
                if len(keep) == 0:
                    continue
                # Map the window onto a square screen of side s whose top-left pixels are the tile's.
                s = max(h, w)
                scale = size / s
                shifted = torch.stack([(verts[:, 0] - x_hi) * scale + 1, (verts[:, 1] - y_hi) * scale + 1, verts[:, 2]], 1)
                owner = [keep[mesh_of_face[keep] == m] for m in range(n)]  # each mesh's faces in the tile, packed
                sub = Meshes([shifted[v0:v0 + nv] for v0, nv in zip(first_vert.tolist(), n_verts.tolist())],
                             [faces[f] - v0 for f, v0 in zip(owner, first_vert.tolist())])
                p2f, z, b, d = rasterize_meshes(
                    sub, image_size=s, blur_radius=0.0, faces_per_pixel=k, bin_size=0,
                    perspective_correct=perspective, clip_barycentric_coords=settings.clip_barycentric_coords or False,
                    cull_backfaces=settings.cull_backfaces, z_clip_value=z_clip, cull_to_frustum=settings.cull_to_frustum)
                owner = torch.cat(owner)  # the tile's packed faces -> the batch's packed faces
                p2f = torch.where(p2f >= 0, owner[p2f.clamp(min=0)], p2f)
                pix_to_face[:, y0:y0 + h, x0:x0 + w] = p2f[:, :h, :w]
                zbuf[:, y0:y0 + h, x0:x0 + w] = z[:, :h, :w]
                bary[:, y0:y0 + h, x0:x0 + w] = b[:, :h, :w]
                dists[:, y0:y0 + h, x0:x0 + w] = torch.where(p2f >= 0, d / scale ** 2, d)[:, :h, :w]  # squared NDC
        return Fragments(pix_to_face=pix_to_face, zbuf=zbuf, bary_coords=bary, dists=dists)

    @staticmethod
    def _z_clip(settings, cameras, perspective):
        """MeshRasterizer's z clipping value: the setting, else half the camera's near plane for a perspective one."""
        if settings.z_clip_value is not None:
            return settings.z_clip_value
        znear = cameras.get_znear()
        if isinstance(znear, torch.Tensor):
            znear = znear.min().item()
        return None if not perspective or znear is None else znear / 2


def render_mesh(verts, faces, cameras, image_size=256, color=MESH_COLOR):
    """Shaded renders of one mesh (V, 3), (F, 3) from every camera. Returns (N, H, W, 3) float numpy in [0, 1]."""
    n = len(cameras)
    if len(verts) == 0 or len(faces) == 0:
        return np.ones((n, image_size, image_size, 3), np.float32)
    device = cameras.device
    verts = verts.float().to(device)
    tex = TexturesVertex(torch.tensor(color, device=device).expand(1, len(verts), 3))
    mesh = Meshes([verts], [faces.to(device)], textures=tex).extend(n)
    renderer = MeshRenderer(
        TiledMeshRasterizer(cameras=cameras, raster_settings=RasterizationSettings(image_size=image_size, faces_per_pixel=1)),
        HardPhongShader(device=device, cameras=cameras, lights=_lights(cameras), blend_params=BlendParams(background_color=WHITE)),
    )
    with torch.no_grad():
        return renderer(mesh)[..., :3].clamp(0, 1).cpu().numpy()


def render_points(points, cameras, image_size=256, radius=0.012):
    """Renders of one point cloud (P, 3), coloured by height so depth reads. Returns (N, H, W, 3) numpy."""
    h = (points[:, 1:2].float() + 0.5).clamp(0, 1)  # (P, 1) height in the normalised object frame
    colors = torch.cat([0.2 + 0.7 * h, 0.35 + 0.2 * (1 - h), 0.9 - 0.6 * h], dim=1)  # (P, 3)
    return render_points_colored(points, colors, cameras, image_size, radius)


def render_voxels(probs, cameras, image_size=256, isovalue=0.5):
    """Renders of a (D, D, D) occupancy-probability grid as its marching-cubes surface. Returns (N, H, W, 3)."""
    (verts, faces), = voxels_to_meshes(probs[None].detach(), isovalue=isovalue)
    return render_mesh(verts, faces, cameras, image_size, color=(1.0, 0.75, 0.45))


def render_shape(kind, shape, cameras, image_size=256):
    """One entry point for the three representations: kind "vox" (probabilities (D, D, D)),
    "point" (points (P, 3)) or "mesh" ((verts, faces))."""
    if kind == "vox":
        return render_voxels(shape, cameras, image_size)
    if kind == "point":
        return render_points(shape, cameras, image_size)
    if kind == "mesh":
        return render_mesh(shape[0], shape[1], cameras, image_size)
    raise ValueError(f"unknown shape kind {kind!r}")


def save_panel(images, titles, path, suptitle=None):
    """One row of pictures with titles, written atomically as a PNG."""
    fig, axes = plt.subplots(1, len(images), figsize=(3 * len(images), 3.3))
    for ax, img, title in zip(np.atleast_1d(axes), images, titles):
        ax.imshow(np.clip(img, 0, 1))
        ax.set_title(title, fontsize=11)
        ax.axis("off")
    if suptitle:
        fig.suptitle(suptitle, fontsize=10)
    fig.tight_layout(rect=(0, 0, 1, 0.92) if suptitle else None)
    atomic_write(path, lambda tmp: fig.savefig(tmp, dpi=100))
    plt.close(fig)


def save_turntable_gif(frame_rows, path, fps=12):
    """A GIF of side-by-side turntables: frame_rows is a list of (N, H, W, 3) arrays, one per panel."""
    frames = np.concatenate(frame_rows, axis=2)  # (N, H, W * panels, 3)
    frames = (np.clip(frames, 0, 1) * 255).astype(np.uint8)
    atomic_write(path, lambda tmp: imageio.mimsave(tmp, list(frames), duration=1.0 / fps, loop=0))


def save_prediction_panel(path, image, pred, gt, R, T, K, title=None, image_size=192):
    """The "Input | Prediction | Ground truth" picture, each shape drawn from the input's viewpoint and
    from a second viewpoint 90 degrees around, so errors in depth show.

    pred, gt: (kind, shape) pairs as render_shape takes them (kinds may differ, e.g. a voxel
    prediction beside the ground-truth mesh).
    """
    device = R.device
    views = [input_view_cameras(R, T, K, device)]
    views.append(orbit_cameras([120.0], device=device))
    pictures, titles = [image.detach().cpu().numpy()], ["Input"]
    for label, (kind, shape) in (("Prediction", pred), ("Ground truth", gt)):
        for v, cams in enumerate(views):
            pictures.append(render_shape(kind, shape, cams, image_size)[0])
            titles.append(label if v == 0 else f"{label} (side)")
    order = [0, 1, 3, 2, 4]  # input | pred | gt | pred side | gt side
    save_panel([pictures[i] for i in order], [titles[i] for i in order], path, suptitle=title)


def save_loss_curve(steps, losses, path, title):
    """Training loss against step, log scale, written atomically."""
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.plot(steps, losses, lw=0.8)
    ax.set_yscale("log")
    ax.set_xlabel("step")
    ax.set_ylabel("loss")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    atomic_write(path, lambda tmp: fig.savefig(tmp, dpi=100))
    plt.close(fig)


def save_f1_curve(curves, thresholds, path, title="F1 vs distance threshold"):
    """F1 (percent) against threshold for one or more models: curves maps a label to a list of F1 values."""
    fig, ax = plt.subplots(figsize=(6, 4))
    for label, f1 in curves.items():
        ax.plot(thresholds, f1, marker="o", label=label)
    ax.set_xlabel("distance threshold")
    ax.set_ylabel("F1 (%)")
    ax.set_ylim(0, 100)
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    atomic_write(path, lambda tmp: fig.savefig(tmp, dpi=100))
    plt.close(fig)


def overlay_heatmap(image, heat, alpha=0.5, cmap="jet"):
    """A saliency map (H, W) in [0, 1] drawn over an image (H, W, 3) in [0, 1]; returns (H, W, 3) numpy.

    Half image, half colour map, as pytorch-grad-cam's show_cam_on_image draws it (jet: blue = 0, red = 1).
    """
    colours = plt.get_cmap(cmap)(np.clip(heat, 0, 1))[..., :3]  # (H, W, 3)
    return (1 - alpha) * np.asarray(image, dtype=np.float32) + alpha * colours


def render_points_colored(points, colors, cameras, image_size=256, radius=0.015):
    """Renders of one point cloud (P, 3) with per-point colours (P, 3) in [0, 1]. Returns (N, H, W, 3) numpy."""
    n = len(cameras)
    if len(points) == 0:
        return np.ones((n, image_size, image_size, 3), np.float32)
    device = cameras.device
    clouds = Pointclouds(points=[points.float().to(device)], features=[colors.float().to(device)]).extend(n)
    renderer = PointsRenderer(
        rasterizer=PointsRasterizer(cameras=cameras, raster_settings=PointsRasterizationSettings(
            image_size=image_size, radius=radius, points_per_pixel=4)),
        compositor=AlphaCompositor(background_color=WHITE),
    )
    with torch.no_grad():
        return renderer(clouds)[..., :3].clamp(0, 1).cpu().numpy()


def save_error_panel(path, image, pred_points, pred_dist, gt_points, gt_dist, R, T, K, vmax=0.1, threshold=0.05,
                     title=None, image_size=224, cmap="turbo"):
    """The prediction's error drawn on its surface, from the input view and from the side, with a colour bar.

    Top row: points on the prediction coloured by their distance to the ground truth (where the
    prediction is wrong: precision). Bottom row: points on the ground truth coloured by their distance
    to the prediction (what the prediction misses: recall). Distances are Euclidean, in the object frame
    (bounding-box diagonal 1), clipped at `vmax`; `threshold` (the F1 threshold) is marked on the bar.

    pred_points (N, 3), pred_dist (N,), gt_points (M, 3), gt_dist (M,); R, T, K: the input view's camera.
    """
    device = R.device
    views = [("input view", input_view_cameras(R, T, K, device)), ("side", orbit_cameras([120.0], device=device))]
    colour_map = plt.get_cmap(cmap)
    rows = []
    for points, dist in ((pred_points, pred_dist), (gt_points, gt_dist)):
        colours = torch.from_numpy(colour_map((dist.detach().cpu().numpy() / vmax).clip(0, 1))[:, :3])  # (P, 3)
        rows.append([render_points_colored(points, colours, cams, image_size)[0] for _, cams in views])
    fig = plt.figure(figsize=(10.2, 6.6))
    grid = fig.add_gridspec(2, 4, width_ratios=[1, 1, 1, 0.06], wspace=0.05, hspace=0.12)
    ax = fig.add_subplot(grid[:, 0])
    ax.imshow(np.clip(image.detach().cpu().numpy(), 0, 1))
    ax.set_title("Input", fontsize=11)
    ax.axis("off")
    labels = ("Prediction: distance to GT", "GT: distance to prediction")
    for r, (row, label) in enumerate(zip(rows, labels)):
        for c, (picture, (view, _)) in enumerate(zip(row, views)):
            ax = fig.add_subplot(grid[r, 1 + c])
            ax.imshow(picture)
            ax.set_title(f"{label}\n({view})", fontsize=10)
            ax.axis("off")
    cax = fig.add_subplot(grid[:, 3])
    bar = fig.colorbar(matplotlib.cm.ScalarMappable(matplotlib.colors.Normalize(0, vmax), colour_map), cax=cax,
                       extend="max")
    bar.set_label("distance (bounding-box diagonal = 1)")
    bar.ax.axhline(threshold, color="k", lw=1.5)
    ticks = np.linspace(0, vmax, 5)
    bar.set_ticks(ticks, labels=[f"{t:.3g} (F1 threshold)" if np.isclose(t, threshold) else f"{t:.3g}" for t in ticks])
    if title:
        fig.suptitle(title, fontsize=10)
    atomic_write(path, lambda tmp: fig.savefig(tmp, dpi=100, bbox_inches="tight"))
    plt.close(fig)
