"""Karpathy's char-rnn: the character-level model (model.py) and its trainer (trainer.py)."""
