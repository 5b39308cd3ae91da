"""DIET (Dual Intent and Entity Transformer) re-implemented in PyTorch.

Importing this package imports torch; keep it out of the Qt layer's module level.
"""
