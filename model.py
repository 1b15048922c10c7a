"""Networks: an image encoder and one decoder per 3D representation."""
import warnings

import torch
import torch.nn as nn
import torchvision
from pytorch3d.structures import Meshes
from pytorch3d.utils import ico_sphere

from utils_vox import VOX_SIZE

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
ARCHS = {"resnet18": 512, "resnet34": 512, "resnet50": 2048}


class ImageEncoder(nn.Module):
    """A torchvision ResNet without its classifier: (B, 137, 137, 3) RGB in [0, 1] -> (B, C) feature.

    pretrained: "yes" needs the ImageNet weights (from torch hub's cache or a download), "no" starts
    from random weights, "auto" uses the weights when they can be had and otherwise says so and
    starts from random weights.
    """

    def __init__(self, arch="resnet18", pretrained="auto"):
        super().__init__()
        if arch not in ARCHS:
            raise ValueError(f"--arch {arch} is not supported; choose one of {', '.join(ARCHS)}")
        net = getattr(torchvision.models, arch)(weights=None)
        self.pretrained = False
        if pretrained in ("auto", "yes"):
            weights = torchvision.models.get_model_weights(arch).IMAGENET1K_V1
            try:
                net.load_state_dict(weights.get_state_dict(progress=False))
                self.pretrained = True
            except Exception as e:  # offline, blocked, or a corrupt cache file
                if pretrained == "yes":
                    raise SystemExit(f"error: --pretrained yes, but the ImageNet weights of {arch} cannot be had ({e}); "
                                     f"put {weights.url.rsplit('/', 1)[-1]} in {torch.hub.get_dir()}/checkpoints or use --pretrained auto") from None
                warnings.warn(f"ImageNet weights for {arch} unavailable ({type(e).__name__}); training the encoder from scratch",
                              stacklevel=2)
        self.features = nn.Sequential(*list(net.children())[:-1])  # up to global average pooling
        self.register_buffer("mean", torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("std", torch.tensor(IMAGENET_STD).view(1, 3, 1, 1), persistent=False)
        self.out_dim = ARCHS[arch]

    def forward(self, images):
        x = images.permute(0, 3, 1, 2)  # (B, 3, H, W)
        x = (x - self.mean) / self.std
        return self.features(x).flatten(1)  # (B, C)


class VoxelDecoder(nn.Module):
    """Feature -> 32^3 occupancy logits: a linear stem to a 4^3 x 128 volume, then three 3D up-convolutions.

    The output is in the voxel frame of utils_vox (axes z, y, x over the cube [-0.5, 0.5]^3).
    """

    def __init__(self, in_dim=512):
        super().__init__()
        self.stem = nn.Sequential(nn.Linear(in_dim, 128 * 4 ** 3), nn.ReLU())
        up = lambda cin, cout: [nn.ConvTranspose3d(cin, cout, 4, stride=2, padding=1), nn.BatchNorm3d(cout), nn.ReLU()]
        self.up = nn.Sequential(*up(128, 64), *up(64, 32), *up(32, 16), nn.Conv3d(16, 1, 3, padding=1))

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

    def encode_positions(self, v):
        angles = v[..., None] * self.freqs  # (V, 3, n_freqs)
        return torch.cat([v, angles.sin().flatten(-2), angles.cos().flatten(-2)], dim=-1)  # (V, pos_dim)

    def forward(self, feat):
        b = feat.shape[0]
        h = self.pos_proj(self.encode_positions(self.template_verts))[None] + self.feat_proj(feat)[:, None]  # (B, V, H)
        verts = self.template_verts[None] + self.mlp(h)  # (B, V, 3)
        return Meshes(verts=list(verts), faces=[self.template_faces] * b)


class SingleViewto3D(nn.Module):
    """Image (or precomputed feature) -> voxel logits, points or a mesh, as `args.type` says.

    The constructor reads only settings stored in every checkpoint's args, so an evaluator can
    rebuild the network from the checkpoint alone.
    """

    def __init__(self, args):
        super().__init__()
        self.type = args.type
        self.load_feat = getattr(args, "load_feat", False)
        feat_dim = ARCHS[args.arch]
        self.encoder = None if self.load_feat else ImageEncoder(args.arch, getattr(args, "pretrained", "auto"))
        if args.type == "vox":
            self.decoder = VoxelDecoder(feat_dim)
        elif args.type == "point":
            self.decoder = PointDecoder(args.n_points, feat_dim)
        elif args.type == "mesh":
            self.decoder = MeshDecoder(args.ico_level, feat_dim)
        else:
            raise ValueError(f"unknown --type {args.type}")

    def encode(self, images_or_feats):
        return images_or_feats if self.encoder is None else self.encoder(images_or_feats)

    def forward(self, images_or_feats):
        """(B, 137, 137, 3) images, or (B, 512) features with --load_feat -> the decoder's output."""
        return self.decoder(self.encode(images_or_feats))


def model_input(batch, load_feat, device):
    """The tensor a SingleViewto3D model reads from a loader batch."""
    return (batch["feats"] if load_feat else batch["images"]).to(device, non_blocking=True)
