"""Networks: an image encoder, one decoder per 3D representation, and the table of model kinds that builds them
from a ModelArgs (what a checkpoint stores as `model_args`).

Occupancy (writeup 3.1): the image and 3D query points give an occupancy logit per point. The default decoder
(PixelOccupancyDecoder, --decoder pixel) reads two things at each query: a 32^3 volume of 16 features decoded from
the global image feature by the voxel decoder's up-convolutions and interpolated at the query (the grid decoder of
Convolutional Occupancy Networks, Peng et al. 2020, with the volume decoded from the image; an auxiliary BCE of the
volume against the 32^3 voxels, --voxel_weight, teaches that layout densely), and the image itself with the
encoder's first two feature maps (ResNet layer1 and layer2, 35^2 and 18^2) sampled where the view's camera projects
the query (PIFu, Saito et al. 2019; DISN, Xu et al. 2019). The camera is the R, T, K every R2N2 view comes with
(view_matrix / project, tested against PyTorch3D's BlenderCamera); the voxel decoder does not use it. A small MLP
reads both with the point's Fourier features. --decoder grid is the same without the pixels; simple (the feature
added to a point embedding, one MLP) and cbn (Occupancy Networks' conditional batch norm) read one global vector.

Parametric (writeup 3.2): AtlasNet patches; refine "pixel" adds one PixelRefine step after them (Pixel2Mesh's and
Mesh R-CNN's idea), the same pixel-aligned sampling as the pixel occupancy decoder; q3_train_parametric.py's loss
is the chamfer of the refined points plus that of the patches' own, and the mesh keeps the patches' triangulation.
"""
import dataclasses

import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision
from pytorch3d.structures import Meshes
from pytorch3d.utils import ico_sphere

from imagenet import encoder_weights
from utils_vox import grid_probability, voxel_centers

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
ARCHS = {"resnet18": 512, "resnet34": 512, "resnet50": 2048}


@dataclasses.dataclass
class ModelArgs:
    """Everything a network is built from (nanoGPT's GPTConfig): the training scripts make it from their flags,
    the checkpoint stores it as `model_args`, and build_model reads nothing else, so an evaluator rebuilds the
    network from the file alone. The fields a kind does not use (KINDS[kind].uses) stay None."""
    kind: str  # a key of KINDS: vox, point, mesh (train_model.py), occupancy, parametric (writeup section 3)
    arch: str = "resnet18"  # the encoder, a key of ARCHS
    load_feat: bool = False  # the network reads precomputed (B, C) features: no encoder
    n_points: int = None  # point: points predicted
    ico_level: int = None  # mesh: subdivision level of the ico-sphere deformed
    decoder: str = None  # occupancy: simple, cbn, grid or pixel (OCCUPANCY_DECODERS)
    n_patches: int = None  # parametric: square patches, each with its own MLP
    refine: str = None  # parametric: none, or pixel (PixelRefine)

    @classmethod
    def from_flags(cls, kind, flags):
        """From a dict of a run's flags (vars(args)): arch, load_feat and the fields this kind uses."""
        if kind not in KINDS:
            raise ValueError(f"unknown model kind {kind}")
        return cls(kind, flags.get("arch", "resnet18"), flags.get("load_feat", False),
                   **{name: flags[name] for name in KINDS[kind].uses})


class ImageEncoder(nn.Module):
    """A torchvision ResNet without its classifier: (B, 137, 137, 3) RGB in [0, 1] -> (B, C) feature.

    pretrained: "yes" needs the ImageNet weights (from torch hub's cache or a download), "no" starts
    from random weights, "auto" uses the weights when they can be had and otherwise says so in one
    line and starts from random weights (imagenet.encoder_weights).
    """

    def __init__(self, arch="resnet18", pretrained="auto"):
        super().__init__()
        if arch not in ARCHS:
            raise ValueError(f"--arch {arch} is not supported; choose one of {', '.join(ARCHS)}")
        net = getattr(torchvision.models, arch)(weights=None)
        state = encoder_weights(arch, pretrained)
        if state is not None:
            net.load_state_dict(state)
        self.pretrained = state is not None
        self.features = nn.Sequential(*list(net.children())[:-1])  # up to global average pooling
        self.register_buffer("mean", torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("std", torch.tensor(IMAGENET_STD).view(1, 3, 1, 1), persistent=False)
        self.out_dim = ARCHS[arch]

    def forward(self, images, maps=False):
        """maps: also return [the image (B, 3, 137, 137), layer1 (B, 64, 35, 35), layer2 (B, 128, 18, 18)] (for
        resnet18/34; resnet50's layers are 4x wider), the early feature maps pixel-aligned decoders sample."""
        rgb = images.permute(0, 3, 1, 2)  # (B, 3, H, W)
        x = (rgb - self.mean) / self.std
        if not maps:
            return self.features(x).flatten(1)  # (B, C)
        early = [rgb]
        for i, layer in enumerate(self.features):
            x = layer(x)
            if i in (4, 5):  # layer1, layer2 of conv1, bn1, relu, maxpool, layer1, ..., layer4, avgpool
                early.append(x)
        return x.flatten(1), early


def fourier_features(x, freqs):
    """(..., 3) coordinates -> (..., 3 + 6 F): the coordinates with sin and cos at F frequencies.

    An MLP reading raw coordinates learns only smooth functions of them (spectral bias); these features
    let nearby points (mesh vertices, occupancy queries) take different values, so thin parts are learnt.
    """
    angles = x[..., None] * freqs  # (..., 3, F)
    return torch.cat([x, angles.sin().flatten(-2), angles.cos().flatten(-2)], dim=-1)


@dataclasses.dataclass
class Encoding:
    """What the encoder gives a decoder. Every decoder reads the global feature; a pixel-aligned one (the occupancy
    network's pixel decoder, the parametric network's PixelRefine) also reads the image and the encoder's early maps
    where the view's camera sees each point, so for it the encoding carries those and the camera."""
    feat: torch.Tensor  # (B, C)
    maps: list = None  # [image (B, 3, 137, 137), layer1 (B, 64, 35, 35), layer2 (B, 128, 18, 18)] (ImageEncoder)
    view: torch.Tensor = None  # (B, 4, 4) world -> clip matrix (view_matrix)
    cond: object = None  # what an occupancy decoder reads at every query (its volume [, maps, view]): made once, by
    # the first query of the encoding (OccupancyNetwork.query_logits), and read by the next ones (grid, IoU points)


class ImageConditioned(nn.Module):
    """The common front of every model: an ImageEncoder (its weights as `pretrained` says), or none when the
    network reads precomputed features (ModelArgs.load_feat).

    It is also the interface the evaluators (evaluation.py) rely on, for every kind alike:
        encode_batch(batch, device) -> Encoding             the encoder's part, once per batch
        prediction(enc, kind, eval_res, n_points, chunk)    what is scored: (B, R, R, R) logits, (B, N, 3) points or Meshes
        occupied(enc, logits, points, shift, chunk)         (B, Q) inside-or-not at points (the volumetric IoU)
        grid_logits(enc, res, chunk)                        (B, res, res, res) logits (the isovalue chosen on val)
    A kind that has no volume (point, mesh, parametric) does not answer the last two.
    """
    pixel_aligned = False  # the decoder reads the image at each point's pixel: encode keeps the maps and the view

    def __init__(self, cfg, pretrained="no"):
        super().__init__()
        self.cfg = cfg
        self.load_feat = cfg.load_feat
        self.feat_dim = ARCHS[cfg.arch]
        self.encoder = None if self.load_feat else ImageEncoder(cfg.arch, pretrained)

    def encode(self, images_or_feats, view=None):
        """(B, 137, 137, 3) images, or (B, C) features with --load_feat [, (B, 4, 4) view_matrix, which a
        pixel-aligned decoder needs] -> Encoding."""
        if self.encoder is None:
            return Encoding(images_or_feats)
        if not self.pixel_aligned:
            return Encoding(self.encoder(images_or_feats))
        if view is None:
            raise ValueError("a pixel-aligned decoder needs each view's camera (model.view_matrix)")
        feat, maps = self.encoder(images_or_feats, maps=True)
        return Encoding(feat, maps, view)

    def encode_batch(self, batch, device):
        """The Encoding of a loader batch: its images (or features) and, for a pixel-aligned decoder, its cameras."""
        view = view_matrix(batch, device) if self.pixel_aligned else None
        return self.encode(model_input(batch, self.load_feat, device), view)

    def prediction(self, enc, kind, eval_res=32, n_points=None, chunk=None):
        raise NotImplementedError

    def occupied(self, enc, logits, points, shift=0.0, chunk=None):
        raise NotImplementedError(f"a {self.cfg.kind} model has no volume")

    def grid_logits(self, enc, res=32, chunk=None):
        raise NotImplementedError(f"a {self.cfg.kind} model has no volume")


class VoxelDecoder(nn.Module):
    """Feature -> 32^3 occupancy logits: a linear stem to a 4^3 x 128 volume, then three 3D up-convolutions.

    The output is in the voxel frame of utils_vox (axes z, y, x over the cube [-0.5, 0.5]^3).
    """

    def __init__(self, in_dim=512):
        super().__init__()
        self.stem = nn.Sequential(nn.Linear(in_dim, 128 * 4 ** 3), nn.ReLU())
        up = lambda cin, cout: [nn.ConvTranspose3d(cin, cout, 4, stride=2, padding=1), nn.BatchNorm3d(cout), nn.ReLU()]
        self.up = nn.Sequential(*up(128, 64), *up(64, 32), *up(32, 16), nn.Conv3d(16, 1, 3, padding=1))
        # Start at the prior: about 4 % of a chair's 32^3 voxels are occupied (logit -3). From 0 (p = 0.5)
        # the first hundreds of steps only learn "mostly empty" and the grid predicts nothing meanwhile.
        nn.init.constant_(self.up[-1].bias, -3.0)

    def forward(self, feat):
        x = self.stem(feat).view(-1, 128, 4, 4, 4)  # (B, 128, 4, 4, 4)
        return self.up(x)[:, 0]  # (B, 32, 32, 32)


class PointDecoder(nn.Module):
    """Feature -> n_points 3D points with an MLP (the writeup's design)."""

    def __init__(self, n_points, in_dim=512, hidden=1024):
        super().__init__()
        self.n_points = n_points
        self.mlp = nn.Sequential(
            nn.Linear(in_dim, hidden), nn.ReLU(),
            nn.Linear(hidden, hidden), nn.ReLU(),
            nn.Linear(hidden, n_points * 3),
        )

    def forward(self, feat):
        return self.mlp(feat).view(-1, self.n_points, 3)  # (B, n_points, 3)


class MeshDecoder(nn.Module):
    """Feature -> per-vertex offsets of an ico-sphere, with one MLP shared by all vertices.

    Each vertex's offset is predicted from its template position (with a Fourier encoding, so nearby
    vertices can move differently) and the image feature, so the parameter count does not grow with
    the number of vertices and any batch size works.
    """

    def __init__(self, ico_level=4, in_dim=512, hidden=256, n_freqs=4, radius=0.4):
        super().__init__()
        sphere = ico_sphere(ico_level)
        self.register_buffer("template_verts", sphere.verts_packed() * radius)  # (V, 3)
        self.register_buffer("template_faces", sphere.faces_packed())  # (F, 3)
        self.register_buffer("freqs", (2.0 ** torch.arange(n_freqs)) * torch.pi, persistent=False)
        pos_dim = 3 + 6 * n_freqs
        self.feat_proj = nn.Linear(in_dim, hidden)
        self.pos_proj = nn.Linear(pos_dim, hidden)
        self.mlp = nn.Sequential(nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU(),
                                 nn.Linear(hidden, 3))

    def forward(self, feat):
        b = feat.shape[0]
        h = self.pos_proj(fourier_features(self.template_verts, self.freqs))[None] + self.feat_proj(feat)[:, None]  # (B, V, H)
        verts = self.template_verts[None] + self.mlp(h)  # (B, V, 3)
        return Meshes(verts=list(verts), faces=[self.template_faces] * b)


class SingleViewto3D(ImageConditioned):
    """Image (or precomputed feature) -> voxel logits, points or a mesh (writeup 2.1-2.3): the encoder and
    the decoder KINDS gives for cfg.kind."""

    def __init__(self, cfg, pretrained="no"):
        super().__init__(cfg, pretrained)
        self.decoder = KINDS[cfg.kind].decoder(cfg, self.feat_dim)

    def forward(self, images_or_feats):
        """(B, 137, 137, 3) images, or (B, 512) features with --load_feat -> the decoder's output."""
        return self.decoder(self.encode(images_or_feats).feat)

    def grid_logits(self, enc, res=32, chunk=None):
        """The voxel decoder's (B, 32, 32, 32) logits: what OccupancyNetwork.grid_logits gives at res 32, so the
        evaluators cut and score both alike."""
        if self.cfg.kind != "vox":
            return super().grid_logits(enc, res, chunk)
        if res != 32:
            raise ValueError(f"the voxel decoder predicts a 32^3 grid, not {res}^3")
        return self.decoder(enc.feat)

    def prediction(self, enc, kind, eval_res=32, n_points=None, chunk=None):
        """What the evaluators score: the decoder's output (its own representation)."""
        return self.decoder(enc.feat)

    def occupied(self, enc, logits, points, shift=0.0, chunk=None):
        """(B, Q) booleans: inside the surface of the (B, 32, 32, 32) logits (already less the isovalue's logit,
        `shift`) at (B, Q, 3) points, by trilinear interpolation: the shape marching cubes extracts."""
        if self.cfg.kind != "vox":
            return super().occupied(enc, logits, points, shift, chunk)
        return grid_probability(torch.sigmoid(logits), points) > 0.5


def model_input(batch, load_feat, device):
    """The tensor a SingleViewto3D model reads from a loader batch."""
    return (batch["feats"] if load_feat else batch["images"]).to(device, non_blocking=True)


def view_matrix(batch, device):
    """(B, 4, 4) world -> clip matrix of each view's BlenderCamera, for row vectors: [x, 1] @ M.

    PyTorch3D's cameras compose world -> view ([x, 1] @ [[R, 0], [T, 1]]) and view -> clip (K transposed);
    BlenderCamera(R, T, K).transform_points is this matrix followed by the division by w.
    """
    R, T, K = (batch[k].to(device, non_blocking=True).float() for k in ("R", "T", "K"))  # (B, 3, 3), (B, 3), (B, 4, 4)
    world_to_view = torch.zeros(len(R), 4, 4, device=device)
    world_to_view[:, :3, :3], world_to_view[:, 3, :3], world_to_view[:, 3, 3] = R, T, 1.0
    return world_to_view @ K.transpose(1, 2)


def project(points, view):
    """(B, Q, 3) world points, (B, 4, 4) view_matrix -> (B, Q, 2) image coordinates of grid_sample (x right,
    y down, -1 and 1 at the image's outer edges, align_corners=False): PyTorch3D's NDC (x left, y up) flipped."""
    clip = F.pad(points, (0, 1), value=1.0) @ view.to(points.dtype)  # (B, Q, 4)
    return -clip[..., :2] / clip[..., 3:].clamp(min=1e-6)  # in front of the camera w > 0


def pixel_features(maps, points, view):
    """The early feature maps of ImageEncoder(maps=True), read bilinearly where the view's camera sees each
    point: (B, Q, 3) points, (B, 4, 4) view_matrix -> (B, Q, sum of the maps' channels). Zero off the image."""
    uv = project(points, view)[:, :, None].to(maps[0].dtype)  # (B, Q, 1, 2)
    return torch.cat([F.grid_sample(m.to(uv.dtype), uv, mode="bilinear", padding_mode="zeros", align_corners=False)
                      for m in maps], 1)[..., 0].transpose(1, 2)  # (B, Q, C1 + C2 + C3)


def map_widths(arch):
    """Channels of ImageEncoder(maps=True)'s maps: the image, layer1, layer2."""
    return {"resnet50": (3, 256, 512)}.get(arch, (3, 64, 128))


# ---------------------------------------------------------------------------------------------------
# Writeup section 3: an implicit occupancy network and an AtlasNet-style parametric network.
# ---------------------------------------------------------------------------------------------------
class SimpleOccupancyDecoder(nn.Module):
    """(B, Q, 3) query points + (B, C) image feature -> (B, Q) occupancy logits.

    The simple fusion: the feature, projected to `hidden`, is added to an embedding of each point,
    and an MLP shared by all points reads the sum. The point embedding sees the coordinates and their
    Fourier features (as MeshDecoder's vertices do): from raw coordinates alone an MLP this small
    learns thin parts (legs, slats) very slowly.
    """

    def __init__(self, in_dim=512, hidden=256, n_layers=4, n_freqs=4):
        super().__init__()
        self.register_buffer("freqs", (2.0 ** torch.arange(n_freqs)) * torch.pi, persistent=False)
        self.point_proj = nn.Linear(3 + 6 * n_freqs, hidden)
        self.feat_proj = nn.Linear(in_dim, hidden)
        layers = []
        for _ in range(n_layers - 1):
            layers += [nn.ReLU(), nn.Linear(hidden, hidden)]
        self.mlp = nn.Sequential(*layers, nn.ReLU(), nn.Linear(hidden, 1))

    def condition(self, enc):
        """Encoding -> (B, H): what every query of the image reads."""
        return self.feat_proj(enc.feat)

    def decode(self, points, cond):
        h = self.point_proj(fourier_features(points, self.freqs)) + cond[:, None]  # (B, Q, H)
        return self.mlp(h)[..., 0]  # (B, Q)


class ConditionalBatchNorm1d(nn.Module):
    """Batch norm whose scale and shift are predicted from the image feature (Occupancy Networks' CBN).

    x: (B, H, Q) point features, c: (B, C) -> (B, H, Q). Starts as the identity affine map.
    """

    def __init__(self, c_dim, f_dim):
        super().__init__()
        self.bn = nn.BatchNorm1d(f_dim, affine=False)
        self.gamma = nn.Linear(c_dim, f_dim)
        self.beta = nn.Linear(c_dim, f_dim)
        nn.init.zeros_(self.gamma.weight)
        nn.init.ones_(self.gamma.bias)
        nn.init.zeros_(self.beta.weight)
        nn.init.zeros_(self.beta.bias)

    def forward(self, x, c):
        return self.gamma(c)[:, :, None] * self.bn(x) + self.beta(c)[:, :, None]  # (B, H, Q)


class CBNResnetBlock(nn.Module):
    """Occupancy Networks' CResnetBlockConv1d: CBN -> ReLU -> fc -> CBN -> ReLU -> fc, plus the input."""

    def __init__(self, c_dim, hidden):
        super().__init__()
        self.bn_0, self.bn_1 = ConditionalBatchNorm1d(c_dim, hidden), ConditionalBatchNorm1d(c_dim, hidden)
        self.fc_0, self.fc_1 = nn.Conv1d(hidden, hidden, 1), nn.Conv1d(hidden, hidden, 1)
        nn.init.zeros_(self.fc_1.weight)  # each block starts as the identity

    def forward(self, x, c):
        h = self.fc_0(torch.relu(self.bn_0(x, c)))  # (B, H, Q)
        return x + self.fc_1(torch.relu(self.bn_1(h, c)))  # (B, H, Q)


class CBNOccupancyDecoder(nn.Module):
    """(B, Q, 3) query points + (B, C) image feature -> (B, Q) occupancy logits.

    The decoder of Occupancy Networks (Mescheder et al. 2019, DecoderCBatchNorm): a ResNet of
    fully connected layers over each point, conditioned on the image through conditional batch norm
    in every block, so the feature modulates every layer instead of entering once.
    """

    def __init__(self, in_dim=512, hidden=256, n_blocks=5):
        super().__init__()
        self.fc_p = nn.Conv1d(3, hidden, 1)
        self.blocks = nn.ModuleList([CBNResnetBlock(in_dim, hidden) for _ in range(n_blocks)])
        self.bn = ConditionalBatchNorm1d(in_dim, hidden)
        self.fc_out = nn.Conv1d(hidden, 1, 1)

    def condition(self, enc):
        return enc.feat  # every block predicts its own scale and shift from it

    def decode(self, points, feat):
        x = self.fc_p(points.transpose(1, 2))  # (B, H, Q)
        for block in self.blocks:
            x = block(x, feat)
        return self.fc_out(torch.relu(self.bn(x, feat)))[:, 0]  # (B, Q)


class GridOccupancyDecoder(nn.Module):
    """(B, Q, 3) query points + (B, C) image feature -> (B, Q) occupancy logits, through a 3D feature volume.

    A decoder that reads one global vector (simple, cbn) must recover the chair's layout at every query
    from the same numbers through an MLP, and learns it slowly from a randomly initialised encoder: at
    equal steps it trails the voxel decoder, whose up-convolutions lay the feature out in space. This
    decoder keeps those up-convolutions (VoxelDecoder's stem and up stack) to make a 32^3 x 16 volume of
    features, interpolates it trilinearly at each query, and lets a small MLP read that with the point's
    Fourier features: the grid-feature decoder of Convolutional Occupancy Networks (Peng et al. 2020),
    with the volume decoded from the image. The volume says where the parts are; the MLP places the surface
    inside a cell, which the exact mesh labels teach below the voxel size.

    `voxel_logits` reads the volume with one more convolution (VoxelDecoder's last layer) for an auxiliary
    loss against the 32^3 voxels: 2048 queries a chair carry about 25 uniform ones inside it, the voxels
    32768 labels, and without them the volume learns the layout several times more slowly.
    """

    def __init__(self, in_dim=512, channels=16, hidden=128, n_freqs=4):
        super().__init__()
        self.stem = nn.Sequential(nn.Linear(in_dim, 128 * 4 ** 3), nn.ReLU())
        up = lambda cin, cout: [nn.ConvTranspose3d(cin, cout, 4, stride=2, padding=1), nn.BatchNorm3d(cout), nn.ReLU()]
        self.up = nn.Sequential(*up(128, 64), *up(64, 32), *up(32, channels))  # 4^3 -> 8^3 -> 16^3 -> 32^3
        self.voxel_head = nn.Conv3d(channels, 1, 3, padding=1)
        nn.init.constant_(self.voxel_head.bias, -3.0)  # the prior, as VoxelDecoder
        self.register_buffer("freqs", (2.0 ** torch.arange(n_freqs)) * torch.pi, persistent=False)
        self.point_proj = nn.Linear(3 + 6 * n_freqs, hidden)
        self.grid_proj = nn.Linear(channels, hidden)
        self.mlp = nn.Sequential(nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU(),
                                 nn.Linear(hidden, 1))

    def condition(self, enc):
        """Encoding -> (B, K, 32, 32, 32) features from its (B, C) feature, axes (z, y, x) as the voxels of utils_vox."""
        return self.up(self.stem(enc.feat).view(-1, 128, 4, 4, 4))

    def decode(self, points, volume):
        return self.mlp(self.hidden(points, volume))[..., 0]  # (B, Q)

    def hidden(self, points, volume):
        """(B, Q, H): what the MLP reads, the point's Fourier features and the volume at the point."""
        # Voxel n of the volume is centred at -0.5 + (n + 0.5) / 32, which grid_sample (align_corners=False)
        # reads at 2 x the world coordinate (see occupancy.occupancy_labels); outside the cube the border value.
        grid = (2.0 * points)[:, :, None, None].to(volume.dtype)  # (B, Q, 1, 1, 3), (x, y, z)
        local = F.grid_sample(volume, grid, mode="bilinear", padding_mode="border", align_corners=False)  # (B, K, Q, 1, 1)
        local = local[:, :, :, 0, 0].transpose(1, 2)  # (B, Q, K)
        return self.point_proj(fourier_features(points, self.freqs)) + self.grid_proj(local)  # (B, Q, H)

    def voxel_logits(self, volume):
        return self.voxel_head(volume)[:, 0]  # (B, 32, 32, 32)


class PixelOccupancyDecoder(GridOccupancyDecoder):
    """The grid decoder plus pixel-aligned image features: each query also reads the image and the encoder's
    first two feature maps where the view's camera projects it (PIFu, Saito et al. 2019; DISN, Xu et al. 2019).

    A volume decoded from one global vector places parts only as finely as that vector and 32^3 cells carry;
    the pixels say directly whether a point lies on the chair's silhouette, at the image's 137^2 resolution,
    so in the image plane the surface is as sharp as the photograph and only depth is left to the volume.
    Needs the view's camera (R2N2 gives it with every view; the voxel decoder does not use it) and the images
    themselves (not --load_feat). `condition` takes (global feature, early maps, view_matrix).
    """

    def __init__(self, in_dim=512, map_dims=(3, 64, 128), channels=16, hidden=128, n_freqs=4):
        super().__init__(in_dim, channels, hidden, n_freqs)
        self.pixel_proj = nn.Linear(sum(map_dims), hidden)

    def condition(self, enc):
        return super().condition(enc), enc.maps, enc.view

    def decode(self, points, cond):
        volume, maps, view = cond
        pixel = pixel_features(maps, points, view)  # (B, Q, 3 + 64 + 128)
        return self.mlp(self.hidden(points, volume) + self.pixel_proj(pixel))[..., 0]  # (B, Q)

    def voxel_logits(self, cond):
        return super().voxel_logits(cond[0])


# Query points per decoder pass (over the whole batch) when a field is asked at many points (the evaluators'
# grids and IoU points). Sized for a CPU's caches: each hidden layer of 8192 x 128 floats is 4 MB. At 65536
# a pass (32 MB a layer) the occupancy evaluator ran 1.3x slower on 2 cores (3.2 -> 4.2 examples/s, emulated
# AVX2), its time in page faults and memory; a GPU loses nothing worth measuring at this size.
QUERY_CHUNK = 8192


class OccupancyNetwork(ImageConditioned):
    """Image (or precomputed feature) + 3D query points -> occupancy logits (writeup 3.1).

    cfg.decoder chooses the decoder: simple, cbn, grid or pixel (OCCUPANCY_DECODERS).
    Points are in the object frame; the shape lives in the cube [-0.5, 0.5]^3 of utils_vox.
    """

    def __init__(self, cfg, pretrained="no"):
        super().__init__(cfg, pretrained)
        if cfg.decoder not in OCCUPANCY_DECODERS:
            raise ValueError(f"unknown --decoder {cfg.decoder}")
        if cfg.decoder == "pixel" and self.encoder is None:
            raise ValueError("the pixel decoder samples the images themselves, not precomputed features")
        self.decoder = OCCUPANCY_DECODERS[cfg.decoder](cfg, self.feat_dim)

    @property
    def pixel_aligned(self):
        return isinstance(self.decoder, PixelOccupancyDecoder)

    def forward(self, images_or_feats, points, view=None, with_voxels=False):
        """(B, 137, 137, 3) images or (B, C) features, (B, Q, 3) points [, (B, 4, 4) view_matrix for the pixel
        decoder] -> (B, Q) logits; with_voxels: and the (B, 32, 32, 32) voxel logits of the grid decoders'
        auxiliary loss (None for the others)."""
        cond = self.decoder.condition(self.encode(images_or_feats, view))
        logits = self.decoder.decode(points, cond)
        if not with_voxels:
            return logits
        return logits, (self.decoder.voxel_logits(cond) if hasattr(self.decoder, "voxel_logits") else None)

    def query_logits(self, enc, points, chunk=QUERY_CHUNK):
        """Encoding, (B, Q, 3) points -> (B, Q) logits, at most `chunk` points (over the whole batch) through the
        decoder at once, so memory stays bounded however many points are asked."""
        if enc.cond is None:  # once per encoding, whatever the number of chunks and of calls
            enc.cond = self.decoder.condition(enc)
        cond = enc.cond
        per_chunk = max(1, chunk // points.shape[0])
        return torch.cat([self.decoder.decode(points[:, i:i + per_chunk], cond) for i in range(0, points.shape[1], per_chunk)], 1)

    def prediction(self, enc, kind, eval_res=32, n_points=None, chunk=QUERY_CHUNK):
        """What the evaluators score: the (B, R, R, R) logits on the eval_res^3 grid."""
        return self.grid_logits(enc, eval_res, chunk)

    def occupied(self, enc, logits, points, shift=0.0, chunk=QUERY_CHUNK):
        """(B, Q) booleans: the field, less the isovalue's logit `shift`, above 0 at (B, Q, 3) points (queried
        directly; `logits`, the grid, is not needed)."""
        return self.query_logits(enc, points, chunk) - shift > 0

    def grid_logits(self, enc, res=32, chunk=QUERY_CHUNK):
        """Logits on the res^3 voxel centres of the canonical cube: Encoding -> (B, res, res, res).

        The grid is in the voxel frame of utils_vox (axes z, y, x), so utils_vox.voxels_to_meshes and
        evaluation.prediction_points read it like a voxel prediction.
        """
        b = len(enc.feat)
        centres = voxel_centers(res).to(enc.feat.device).reshape(1, -1, 3).expand(b, -1, -1)  # (B, res^3, 3) xyz
        return self.query_logits(enc, centres, chunk).view(b, res, res, res)


class AtlasPatch(nn.Module):
    """One AtlasNet patch: (B, N, 2) UV points in [0, 1]^2 + (B, C) feature -> (B, N, 3) surface points.

    An MLP shared by all points of the patch; the feature is projected and added to the UV embedding.
    """

    def __init__(self, in_dim=512, hidden=256):
        super().__init__()
        self.uv_proj = nn.Linear(2, hidden)
        self.feat_proj = nn.Linear(in_dim, hidden)
        self.mlp = nn.Sequential(nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU(),
                                 nn.Linear(hidden, 3))

    def forward(self, uv, feat):
        return self.mlp(self.uv_proj(uv) + self.feat_proj(feat)[:, None])  # (B, N, 3)


class PixelRefine(nn.Module):
    """One step that moves each surface point by what the image shows where the camera sees it: (B, N, 3)
    points + (B, C) feature + the encoder's early maps -> (B, N, 3) points (Pixel2Mesh, Wang et al. 2018;
    Mesh R-CNN's vert align, Gkioxari et al. 2019).

    A patch decoded from one global vector lands only as precisely as that vector places it; reading the
    image and the first feature maps at the point's own pixel tells it whether it sits on the chair's
    silhouette and, through the maps' receptive fields, which way the nearest edge lies, at the image's
    resolution. The move starts at zero (last layer zeroed), so the refined surface begins as the patches'.
    """

    def __init__(self, in_dim=512, map_dims=(3, 64, 128), hidden=256, n_freqs=4):
        super().__init__()
        self.register_buffer("freqs", 2.0 ** torch.arange(n_freqs) * torch.pi, persistent=False)
        self.point_proj = nn.Linear(3 + 6 * n_freqs, hidden)
        self.pixel_proj = nn.Linear(sum(map_dims), hidden)
        self.feat_proj = nn.Linear(in_dim, hidden)
        self.mlp = nn.Sequential(nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU(),
                                 nn.Linear(hidden, 3))
        nn.init.zeros_(self.mlp[-1].weight)
        nn.init.zeros_(self.mlp[-1].bias)

    def forward(self, points, feat, maps, view):
        hidden = (self.point_proj(fourier_features(points, self.freqs)) + self.feat_proj(feat)[:, None]
                  + self.pixel_proj(pixel_features(maps, points, view)))  # (B, N, hidden)
        return points + self.mlp(hidden)  # (B, N, 3)


class ParametricNetwork(ImageConditioned):
    """Image (or precomputed feature) -> a surface made of `n_patches` deformed unit squares (writeup 3.2).

    AtlasNet (Groueix et al. 2018): each patch has its own MLP (as in the paper), which maps a 2D point
    (u, v) of the square, together with the image feature, to a 3D point. Because the MLPs work point by
    point, any number of points can be drawn: random UV points in training, a regular UV grid at test
    time, whose triangulation gives a mesh. refine "pixel" adds a PixelRefine step after the patches (it
    needs each view's camera and the images themselves); the triangulation is unchanged. cfg.n_patches and
    cfg.refine say which.
    """

    def __init__(self, cfg, pretrained="no"):
        super().__init__(cfg, pretrained)
        self.patches = nn.ModuleList([AtlasPatch(self.feat_dim) for _ in range(cfg.n_patches)])
        if cfg.refine not in ("none", "pixel"):
            raise ValueError(f"unknown --refine {cfg.refine}")
        self.refine = None
        if cfg.refine == "pixel":
            if self.encoder is None:
                raise ValueError("--refine pixel samples the images themselves, not precomputed features")
            self.refine = PixelRefine(self.feat_dim, map_widths(cfg.arch))

    @property
    def pixel_aligned(self):
        return self.refine is not None

    def patch_points(self, feat, uv):
        """(B, C) feature, (n_patches, N, 2) UV points per patch -> (B, n_patches * N, 3), patch by patch."""
        b = feat.shape[0]
        return torch.cat([patch(uv[k].expand(b, -1, -1), feat) for k, patch in enumerate(self.patches)], dim=1)

    def refined(self, coarse, enc):
        """(B, N, 3) points moved by PixelRefine, when the network refines."""
        return self.refine(coarse, enc.feat, enc.maps, enc.view) if self.refine else coarse

    def decode(self, enc, uv):
        """Encoding, UV points as patch_points -> (B, n_patches * N, 3) surface points (refined, if the network
        refines)."""
        return self.refined(self.patch_points(enc.feat, uv), enc)  # (B, P * N, 3)

    def sample(self, enc, n_points, with_coarse=False):
        """Encoding -> (B, n_points, 3) points at random UV positions, split evenly over the patches (and
        with_coarse: the points before refinement, as decode)."""
        feat, n = enc.feat, len(self.patches)  # (B, C)
        coarse = torch.cat([patch(torch.rand(len(feat), n_points // n + (k < n_points % n), 2, device=feat.device), feat)
                            for k, patch in enumerate(self.patches)], dim=1)  # (B, n_points, 3)
        points = self.refined(coarse, enc)
        return (points, coarse) if with_coarse else points

    def forward(self, images_or_feats, n_points, view=None, with_coarse=False):
        """(B, 137, 137, 3) images or (B, C) features [, (B, 4, 4) view_matrix with refine "pixel"] -> (B, n_points,
        3) points at random UV positions (with_coarse: and the points before refinement)."""
        return self.sample(self.encode(images_or_feats, view), n_points, with_coarse)

    def prediction(self, enc, kind, eval_res=None, n_points=1000, chunk=None):
        """What the evaluators score: the regular UV grid of about n_points points as points (B, N, 3) for kind
        "point", triangulated into a Meshes for "mesh"."""
        verts, faces = self.grid_mesh(enc, n_points)  # (B, V, 3), (F, 3)
        return verts if kind == "point" else Meshes(list(verts), [faces] * len(verts))

    def grid_side(self, n_points):
        """Side g of the regular g x g UV grid per patch whose total g^2 * n_patches is closest to n_points."""
        return max(2, round((n_points / len(self.patches)) ** 0.5))

    def grid_mesh(self, enc, n_points):
        """The regular UV grid of every patch, decoded and triangulated.

        Returns verts (B, n_patches * g * g, 3) and faces (n_patches * 2 * (g-1)^2, 3), the same faces
        for every example (patch k's vertices are rows k*g*g .. (k+1)*g*g - 1).
        """
        g = self.grid_side(n_points)
        t = torch.linspace(0.0, 1.0, g, device=enc.feat.device)
        u, v = torch.meshgrid(t, t, indexing="ij")
        uv = torch.stack([u, v], dim=-1).reshape(1, g * g, 2)  # (1, g*g, 2), vertex i*g+j = (t_i, t_j)
        verts = self.decode(enc, uv.expand(len(self.patches), -1, -1))  # (B, P*g*g, 3)
        i, j = torch.meshgrid(torch.arange(g - 1, device=t.device), torch.arange(g - 1, device=t.device),
                              indexing="ij")
        v00 = (i * g + j).reshape(-1)  # (g-1)^2 lower-left corners of the grid cells
        v01, v10, v11 = v00 + 1, v00 + g, v00 + g + 1
        cell = torch.cat([torch.stack([v00, v10, v11], 1), torch.stack([v00, v11, v01], 1)])  # (2 (g-1)^2, 3)
        faces = torch.cat([cell + k * g * g for k in range(len(self.patches))])  # (P * 2 (g-1)^2, 3)
        return verts, faces


OCCUPANCY_DECODERS = {  # --decoder of q3_train_implicit.py: (ModelArgs, feature width) -> decoder
    "simple": lambda cfg, width: SimpleOccupancyDecoder(width),
    "cbn": lambda cfg, width: CBNOccupancyDecoder(width),
    "grid": lambda cfg, width: GridOccupancyDecoder(width),
    "pixel": lambda cfg, width: PixelOccupancyDecoder(width, map_widths(cfg.arch)),
}


@dataclasses.dataclass(frozen=True)
class Kind:
    """One kind of model: the network that makes it, what the evaluators score its output as, the ModelArgs
    fields it reads, and the script that trains it."""
    network: type  # built as network(ModelArgs, pretrained)
    scored_as: tuple  # representations of its output: vox (a grid of logits), point, mesh
    uses: tuple = ()  # ModelArgs fields beyond arch and load_feat
    decoder: object = None  # SingleViewto3D's decoder: (ModelArgs, feature width) -> nn.Module
    script: str = "train_model.py"


# The model kinds. A new representation is a decoder and a row here; its output is scored through one of the
# representations of evaluation.prediction_points and drawn by visualize.render_shape.
KINDS = {
    "vox": Kind(SingleViewto3D, ("vox",), (), lambda cfg, width: VoxelDecoder(width)),
    "point": Kind(SingleViewto3D, ("point",), ("n_points",), lambda cfg, width: PointDecoder(cfg.n_points, width)),
    "mesh": Kind(SingleViewto3D, ("mesh",), ("ico_level",), lambda cfg, width: MeshDecoder(cfg.ico_level, width)),
    "occupancy": Kind(OccupancyNetwork, ("vox",), ("decoder",), script="q3_train_implicit.py"),
    "parametric": Kind(ParametricNetwork, ("point", "mesh"), ("n_patches", "refine"), script="q3_train_parametric.py"),
}


def build_model(cfg, pretrained="no"):
    """The network a ModelArgs describes; the encoder's weights as --pretrained says (a checkpoint's come later)."""
    if cfg.kind not in KINDS:
        raise ValueError(f"unknown model kind {cfg.kind}")
    return KINDS[cfg.kind].network(cfg, pretrained)
