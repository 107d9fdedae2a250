"""Graph builders for real models: the cs231n captioning RNN and the char-level RNN."""
