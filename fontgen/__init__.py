"""fontgen: a few handwritten Chinese characters in, an installable GB2312 font out.

The package is the font factory (samples, templates, ONNX generation, tracing, font assembly).
It never imports torch at import time; training lives in `training/`, ONNX export in `export/`.
"""

__version__ = "0.1.0"
