"""Training data: fetch the fixed sources, build the writer dataset, preview it, import CASIA .gnt files.

Torch-free on purpose: building data needs only numpy, OpenCV, Pillow and fontTools.
"""
