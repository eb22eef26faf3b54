"""The model: the model folder, generating glyphs with its ONNX graphs, and adapting it to a writer."""
