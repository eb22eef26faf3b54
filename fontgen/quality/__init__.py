"""Measuring and showing the result: model evaluation and its report, the recognizer, image metrics,
the outline check at reading sizes and the specimen (preview) of a font."""
