"""Image captioning: CaptioningRNN (cs231n) and the AttentionCaptioner, their solver,
training, evaluation (BLEU, attribute accuracy, recall), the attribute scorer and
re-ranking, and the galleries."""
