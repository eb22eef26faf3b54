"""DSF-GAN training: models, datasets, losses, the GAN trainer and the OCR critic trainer (torch).

Entry points are the CLI commands `fontgen train ocr` and `fontgen train gan`; the exporter rebuilds a
generator from a checkpoint alone with `training.checkpoint.load_generator`.
"""
