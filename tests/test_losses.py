"""Our hand-written losses against PyTorch3D's own implementations and small hand-computed cases."""
import torch
import torch.nn.functional as F
from pytorch3d.loss import chamfer_distance, mesh_laplacian_smoothing
from pytorch3d.structures import Meshes
from pytorch3d.utils import ico_sphere

from losses import chamfer_loss, smoothness_loss, voxel_loss


def test_chamfer_matches_pytorch3d_values_and_gradients():
    g = torch.Generator().manual_seed(0)
    src = torch.randn(4, 300, 3, generator=g, requires_grad=True)
    tgt = torch.randn(4, 500, 3, generator=g, requires_grad=True)
    ours = chamfer_loss(src, tgt)
    ref, _ = chamfer_distance(src, tgt)
    assert torch.allclose(ours, ref, atol=1e-5), (ours.item(), ref.item())
    g_ours = torch.autograd.grad(ours, (src, tgt))
    g_ref = torch.autograd.grad(ref, (src, tgt))
    for a, b in zip(g_ours, g_ref):
        assert torch.allclose(a, b, atol=1e-5)


def test_chamfer_hand_computed():
    src = torch.tensor([[[0.0, 0, 0], [1.0, 0, 0]]])
    tgt = torch.tensor([[[0.0, 0, 0]]])
    # src -> tgt: (0 + 1) / 2; tgt -> src: 0.  Squared distances.
    assert torch.isclose(chamfer_loss(src, tgt), torch.tensor(0.5))
    assert chamfer_loss(tgt, tgt).item() == 0.0


def test_smoothness_matches_pytorch3d_uniform():
    meshes = ico_sphere(2).extend(3)
    g = torch.Generator().manual_seed(1)
    offsets = 0.1 * torch.randn(meshes.verts_packed().shape, generator=g)
    offsets.requires_grad_(True)
    deformed = meshes.offset_verts(offsets)
    ours = smoothness_loss(deformed)
    ref = mesh_laplacian_smoothing(deformed, method="uniform")
    assert torch.allclose(ours, ref, atol=1e-6), (ours.item(), ref.item())
    g_ours, = torch.autograd.grad(ours, offsets, retain_graph=True)
    g_ref, = torch.autograd.grad(ref, offsets)
    assert torch.allclose(g_ours, g_ref, atol=1e-6)


def test_smoothness_meshes_of_different_sizes():
    a, b = ico_sphere(1), ico_sphere(3)
    meshes = Meshes([a.verts_packed() * 1.3, b.verts_packed() + 0.2], [a.faces_packed(), b.faces_packed()])
    assert torch.allclose(smoothness_loss(meshes), mesh_laplacian_smoothing(meshes, method="uniform"), atol=1e-6)


def test_voxel_loss_is_bce_on_logits():
    g = torch.Generator().manual_seed(2)
    logits = torch.randn(2, 8, 8, 8, generator=g)
    target = (torch.rand(2, 8, 8, 8, generator=g) > 0.5).float()
    ref = F.binary_cross_entropy(torch.sigmoid(logits), target)
    assert torch.allclose(voxel_loss(logits, target), ref, atol=1e-6)
    # Confident and right costs little, confident and wrong costs a lot.
    assert voxel_loss(torch.full((1, 2, 2, 2), 10.0), torch.ones(1, 2, 2, 2)) < 1e-3
    assert voxel_loss(torch.full((1, 2, 2, 2), -10.0), torch.ones(1, 2, 2, 2)) > 9


def test_balanced_voxel_loss_gives_each_class_half():
    """Hand-computed: with 1 occupied voxel of 8, the balanced BCE is the mean of the two classes' mean BCE, and
    its optimum for an uninformative constant logit is 0 (p = 0.5) instead of the prior's logit(1/8)."""
    target = torch.zeros(1, 2, 2, 2)
    target[0, 0, 0, 0] = 1.0
    logits = torch.linspace(-2, 2, 8).view(1, 2, 2, 2)
    per_voxel = F.binary_cross_entropy_with_logits(logits, target, reduction="none")
    expected = 0.5 * per_voxel[target > 0].mean() + 0.5 * per_voxel[target == 0].mean()
    assert torch.allclose(voxel_loss(logits, target, balanced=True), expected, atol=1e-6)
    constant = torch.zeros(1, requires_grad=True)
    voxel_loss(constant.expand(1, 2, 2, 2), target, balanced=True).backward()
    assert abs(constant.grad.item()) < 1e-6  # p = 0.5 is the balanced optimum
    prior = torch.logit(torch.tensor(1 / 8)).reshape(1).requires_grad_()
    voxel_loss(prior.expand(1, 2, 2, 2), target).backward()
    assert abs(prior.grad.item()) < 1e-6  # and the prior's logit the plain one
