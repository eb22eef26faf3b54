"""torch → ONNX export of a trained generator (and OCR critic), with a numerical parity check.

    python -m fontgen export --checkpoint runs/cpu/last.pth --out fontgen/assets/default
"""
