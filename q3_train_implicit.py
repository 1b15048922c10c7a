"""Train an implicit occupancy network: image + 3D query points -> occupancy (writeup 3.1).

    python q3_train_implicit.py --id 'q3_implicit' --batch_size 32  --output_dir ./output --max_iter 10000 --num_workers 4 --num_points_to_sample 10000
    python q3_train_implicit.py --id 'q3_implicit_cbn' --decoder cbn --batch_size 32 --output_dir ./output --max_iter 10000 --num_workers 4 --num_points_to_sample 10000

Each step draws --num_points_to_sample query points per chair, half uniformly in the cube [-0.5, 0.5]^3
and half near the surface (cached ground-truth surface points plus Gaussian noise), labels them and
minimises binary cross entropy. Labels (--labels auto) come from the exact inside test of the ground-truth
mesh (winding number) where the mesh is closed, as on the embedded dataset, and otherwise from the 32^3
voxels (trilinear interpolation thresholded at 0.5: inside the marching-cubes surface of the voxels).
--decoder simple adds the image feature to a point embedding before an MLP; --decoder cbn is the ResNet-FC decoder with conditional batch norm of
Occupancy Networks. Evaluate with eval_q3.py --model_type occupancy --type vox (any --eval_res).

Writes {output_dir}/{id}/checkpoint_implicit.pth (every --save_freq steps, at the end, and on Ctrl-C),
args.json, loss_implicit.csv, loss_implicit.png and vis/implicit_{step}.png. --load_checkpoint resumes exactly.
"""
import argparse
import math

import torch
import torch.nn.functional as F

from model import OccupancyNetwork, model_input
from runtime import pick_device, seed_everything
from train_model import RunFolder, add_common_args, gt_shape, progress, save_on_sigterm, train_loader


def get_args_parser():
    p = argparse.ArgumentParser(description="Train an image -> occupancy function model (writeup 3.1)")
    p.add_argument("--num_points_to_sample", type=int, default=10000,
                   help="query points per chair per step: half uniform in the cube, half near the surface")
    p.add_argument("--surface_sigma", type=float, default=0.02,
                   help="standard deviation of the noise added to surface points to make near-surface queries "
                        "(object units, bounding-box diagonal 1)")
    p.add_argument("--labels", choices=["auto", "mesh", "voxels"], default="auto",
                   help="ground-truth occupancy of the queries: the exact inside test of the mesh (mesh; auto where "
                        "the mesh is closed, as on the embedded dataset) or the 32^3 voxels")
    p.add_argument("--decoder", choices=["simple", "cbn"], default="simple",
                   help="simple: feature added to a point embedding, MLP; cbn: ResNet-FC with conditional batch norm")
    return add_common_args(p, run_id="q3_implicit", output_dir="./output", batch_size=32)


def sample_query_points(surface, n, sigma=0.02):
    """Training queries: (B, P, 3) ground-truth surface samples -> (B, n, 3) points.

    The first n - n // 2 are uniform in the cube [-0.5, 0.5]^3 (they teach the coarse shape), the
    last n // 2 are random surface samples moved by N(0, sigma^2) noise (they teach the boundary).
    """
    b, device = surface.shape[0], surface.device
    n_near = n // 2
    idx = torch.randint(surface.shape[1], (b, n_near), device=device)  # (B, n_near)
    near = torch.gather(surface, 1, idx[..., None].expand(-1, -1, 3))  # (B, n_near, 3)
    near = near + sigma * torch.randn_like(near)
    uniform = torch.rand(b, n - n_near, 3, device=device) - 0.5  # (B, n - n_near, 3)
    return torch.cat([uniform, near], dim=1)


def occupancy_labels(voxels, points):
    """Ground-truth occupancy of query points: (B, D, D, D) voxels, (B, Q, 3) points -> (B, Q) in {0, 1}.

    The voxels are in the frame of utils_vox: axes (z, y, x), voxel n centred at -0.5 + (n + 0.5) / D.
    grid_sample takes (x, y, z) coordinates in [-1, 1] over (W, H, D) and, with align_corners=False,
    puts the centre of voxel n at -1 + (2n + 1) / D, which is exactly 2 * (world coordinate). The
    trilinearly interpolated occupancy, thresholded at 0.5, is inside the surface that marching cubes
    extracts from the voxels; outside the grid the occupancy is 0 (as the empty padding of voxels_to_meshes).
    """
    grid = (2.0 * points)[:, :, None, None].to(voxels.dtype)  # (B, Q, 1, 1, 3), (x, y, z) in [-1, 1]
    occ = F.grid_sample(voxels[:, None], grid, mode="bilinear", padding_mode="zeros", align_corners=False)  # (B, 1, Q, 1, 1)
    return (occ[:, 0, :, 0, 0] > 0.5).float()  # (B, Q)


def is_closed(faces):
    """True when every edge of the (F, 3) triangles is shared by exactly two of them (a watertight mesh)."""
    edges = torch.cat([faces[:, [0, 1]], faces[:, [1, 2]], faces[:, [2, 0]]]).sort(dim=1).values  # (3F, 2)
    _, counts = torch.unique(edges, dim=0, return_counts=True)
    return bool((counts == 2).all())


def winding_inside(points, verts, faces, chunk=256):
    """Exact inside test of a closed mesh: (P, 3) points -> (P,) bool, generalised winding number > 1/2.

    The winding number sums the solid angles of the oriented triangles seen from the point (van
    Oosterom-Strackee formula) over 4 pi; it is 1 inside a closed surface and 0 outside, and a union of
    overlapping closed parts (how the embedded chairs are built) counts >= 1 inside any part. Cost is
    P x F, chunked over the points so memory stays bounded (256 points at a time: the (256, F, 3)
    temporaries stay in cache, twice as fast on CPU as 2048).
    """
    tri = verts[faces]  # (F, 3, 3)
    out = []
    for p in points.split(chunk):
        a, b, c = (tri[None, :, k] - p[:, None] for k in range(3))  # (p, F, 3) each
        la, lb, lc = a.norm(dim=-1), b.norm(dim=-1), c.norm(dim=-1)  # (p, F)
        det = (a * torch.cross(b, c, dim=-1)).sum(-1)
        den = la * lb * lc + (a * b).sum(-1) * lc + (b * c).sum(-1) * la + (c * a).sum(-1) * lb
        out.append(torch.atan2(det, den).sum(1) / (2 * math.pi) > 0.5)
    return torch.cat(out)


def training_labels(batch, points, mode, device):
    """Occupancy labels (B, Q) of the queries: from the mesh where it is closed (mode auto or mesh), else the voxels.

    Voxel labels are exact only to 1/32 of the box, so thin parts (chair legs about one voxel wide) come
    and go; the mesh gives the true shape, which is what lets the implicit model beat the 32^3 grid at a
    finer --eval_res. Real ShapeNet meshes are rarely closed, so there `auto` falls back to the voxels.
    """
    labels = occupancy_labels(batch["voxels"].to(device, non_blocking=True), points)  # (B, Q)
    if mode == "voxels":
        return labels, 0
    from_mesh = 0
    for i, (verts, faces) in enumerate(zip(batch["verts"], batch["faces"])):
        if is_closed(faces):
            labels[i] = winding_inside(points[i], verts.to(device), faces.to(device)).float()
            from_mesh += 1
        elif mode == "mesh":
            raise SystemExit(f"error: --labels mesh, but the mesh of {batch['model_id'][i]} is not closed "
                             f"(some edge is not shared by exactly two triangles); use --labels auto or voxels")
    return labels, from_mesh


def calculate_loss(logits, labels):
    """BCE on the query points, and the terms for the log (bce, and the IoU of the queries' occupancy)."""
    loss = F.binary_cross_entropy_with_logits(logits, labels)
    with torch.no_grad():
        pred = logits > 0
        gt = labels > 0.5
        iou = (pred & gt).sum() / (pred | gt).sum().clamp(min=1)
    return loss, {"bce": loss.item(), "iou": iou.item()}


def train(args):
    args.model_type = "occupancy"  # what eval_q3.py checks and rebuilds
    save_on_sigterm()
    device = pick_device(args.device)
    seed_everything(args.seed)
    run = RunFolder(args, "implicit", "occupancy BCE")  # checkpoint_implicit.pth, loss_implicit.csv, vis/implicit_*.png

    model = OccupancyNetwork(args).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
    start_step = run.resume(model, optimizer, expect={"model_type": "occupancy", "decoder": args.decoder,
                                                      "arch": args.arch, "load_feat": args.load_feat})
    dataset, batches = train_loader(args, device, start_step)
    print(f"training occupancy ({args.decoder} decoder) on {len(dataset)} views of {len(dataset.model_ids)} chairs "
          f"({dataset.dataset_dir}) on {device}")

    model.train()
    completed = start_step  # steps whose optimiser update has been applied
    bar = progress(args, start_step, "train implicit")
    try:
        for step in bar:
            batch = next(batches)
            surface = batch["points"].to(device, non_blocking=True)  # (B, P, 3)
            points = sample_query_points(surface, args.num_points_to_sample, args.surface_sigma)  # (B, Q, 3)
            labels, from_mesh = training_labels(batch, points, args.labels, device)  # (B, Q)
            feat = model.encode(model_input(batch, args.load_feat, device))  # (B, C)
            logits = model.decoder(points, feat)  # (B, Q)
            loss, terms = calculate_loss(logits, labels)
            terms["mesh_labels"] = from_mesh / len(labels)  # share of the batch labelled by the mesh
            run.check_finite(loss, step)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            completed = done = step + 1

            if done % args.log_freq == 0 or done == args.max_iter:
                bar.set_postfix(loss=f"{loss.item():.4f}", iou=f"{terms['iou']:.3f}")
                run.log(done, loss.item(), terms)
            if done % args.vis_freq == 0:  # the surface of the 32^3 grid of occupancies
                model.eval()  # batch norm of the cbn decoder: running statistics, as at test time
                with torch.no_grad():
                    grid = model.grid_logits(feat[:1].detach(), 32)  # (1, 32, 32, 32)
                model.train()
                run.picture(done, batch, ("vox", torch.sigmoid(grid[0])), gt_shape(batch, 0, "mesh"), device)
            if done % args.save_freq == 0 and done != args.max_iter:
                run.save(done, model, optimizer)
    except KeyboardInterrupt:
        bar.close()
        run.interrupted(model, optimizer, completed)
    bar.close()
    return run.finish(model, optimizer, start_step)


if __name__ == "__main__":
    train(get_args_parser().parse_args())
