"""The procedural generator: the embedded dataset that stands in for R2N2 where the real one cannot be had.

primitives.py   closed convex parts (exact inside tests, so "buried" is exact)
chairs.py       the chair families built from them, in raw units; `normalisation` to ShapeNetCore v1's frame
dataset.py      writes a dataset in the real R2N2 layout (meshes, renderings, cameras, voxels, split file)
shapenet_like.py  the same surfaces written as ShapeNet's messy meshes (face counts, flips, duplicates, holes)
"""
