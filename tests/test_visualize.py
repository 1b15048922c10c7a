"""visualize.TiledMeshRasterizer: the fragments of PyTorch3D's own MeshRasterizer (the reference), tile by tile."""
import math

import torch
from pytorch3d.renderer import FoVPerspectiveCameras, MeshRasterizer, RasterizationSettings, look_at_view_transform
from pytorch3d.structures import Meshes
from pytorch3d.utils import ico_sphere

from visualize import TiledMeshRasterizer, input_view_cameras


def noisy_meshes():
    """A batch of two different meshes: a bumpy sphere and a soup of random small triangles."""
    torch.manual_seed(0)
    sphere = ico_sphere(3)
    verts = sphere.verts_packed() * (0.3 + 0.05 * torch.rand(len(sphere.verts_packed()), 1))  # (V, 3)
    soup = (torch.rand(300, 1, 3) - 0.5) * 0.8 + 0.05 * torch.randn(300, 3, 3)  # (300, 3, 3) triangles
    return Meshes([verts, soup.reshape(-1, 3)], [sphere.faces_packed(), torch.arange(900).view(300, 3)])


def test_tiles_give_the_fragments_of_one_call():
    R, T = look_at_view_transform(dist=1.2, elev=torch.tensor([20.0, -35.0]), azim=torch.tensor([30.0, 200.0]))
    cameras = FoVPerspectiveCameras(R=R, T=T, fov=40.0)
    meshes = noisy_meshes()
    for size, tile in ((100, 32), (64, 16), (40, 7)):  # tiles that do and do not divide the image
        settings = RasterizationSettings(image_size=size, faces_per_pixel=2)
        ref = MeshRasterizer(cameras=cameras, raster_settings=settings)(meshes)
        out = TiledMeshRasterizer(cameras=cameras, raster_settings=settings, tile=tile)(meshes)
        same = out.pix_to_face == ref.pix_to_face  # (N, H, W, K)
        assert (ref.pix_to_face[..., 0] >= 0).float().mean() > 0.2  # the test draws something
        assert same.float().mean() > 0.999, (size, tile, (~same).sum())  # all but a pixel on an edge, if any
        torch.testing.assert_close(out.zbuf[same], ref.zbuf[same], atol=1e-5, rtol=0)
        torch.testing.assert_close(out.bary_coords[same], ref.bary_coords[same], atol=1e-4, rtol=0)
        hit = same & (ref.pix_to_face >= 0)
        torch.testing.assert_close(out.dists[hit], ref.dists[hit], atol=1e-6, rtol=1e-3)


def test_an_r2n2_camera_and_an_empty_picture():
    R = torch.eye(3)[None]
    T = torch.tensor([[0.0, 0.0, 1.5]])
    K = torch.tensor([[[2.1875, 0, 0, 0], [0, 2.1875, 0, 0], [0, 0, -1.002002, -0.2002002], [0, 0, -1, 0]]])
    cameras = input_view_cameras(R, T, K)
    settings = RasterizationSettings(image_size=96, faces_per_pixel=1)
    sphere = ico_sphere(2)
    for shift in (0.0, 50.0):  # in view, and far off the picture
        mesh = sphere.offset_verts(torch.tensor([shift, 0.0, 0.0]).expand(len(sphere.verts_packed()), 3))
        ref = MeshRasterizer(cameras=cameras, raster_settings=settings)(mesh)
        out = TiledMeshRasterizer(cameras=cameras, raster_settings=settings)(mesh)
        drawn = (ref.pix_to_face >= 0).sum().item()
        assert drawn > 500 if shift == 0 else drawn == 0
        assert (out.pix_to_face == ref.pix_to_face).float().mean() > 0.999
        assert math.isclose((out.pix_to_face >= 0).sum().item(), drawn, abs_tol=3)
