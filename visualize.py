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
        MeshRasterizer(cameras=cameras, raster_settings=RasterizationSettings(image_size=image_size, faces_per_pixel=1)),
        HardPhongShader(device=device, cameras=cameras, lights=_lights(cameras), blend_params=BlendParams(background_color=WHITE)),
    )
    with torch.no_grad():
        return renderer(mesh)[..., :3].clamp(0, 1).cpu().numpy()


def render_points(points, cameras, image_size=256, radius=0.012):
    """Renders of one point cloud (P, 3), coloured by height so depth reads. Returns (N, H, W, 3) numpy."""
    n = len(cameras)
    if len(points) == 0:
        return np.ones((n, image_size, image_size, 3), np.float32)
    device = cameras.device
    points = points.float().to(device)
    h = (points[:, 1] + 0.5).clamp(0, 1)  # height in the normalised object frame
    colors = torch.stack([0.2 + 0.7 * h, 0.35 + 0.2 * (1 - h), 0.9 - 0.6 * h], dim=1)  # (P, 3)
    clouds = Pointclouds(points=[points], features=[colors]).extend(n)
    renderer = PointsRenderer(
        rasterizer=PointsRasterizer(cameras=cameras, raster_settings=PointsRasterizationSettings(
            image_size=image_size, radius=radius, points_per_pixel=4)),
        compositor=AlphaCompositor(background_color=WHITE),
    )
    with torch.no_grad():
        return renderer(clouds)[..., :3].clamp(0, 1).cpu().numpy()


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
