"""The application built on the framework: the cs231n captioning RNN and the char-level RNN.

Rooms, from the top floor down:
  cli/         the command line: one thin module per command group
  captioning/  the image captioners, their solver, evaluation, re-ranking and galleries
  charrnn/     the char-level RNN and its trainer
  lab/         the teaching lab: neuron page, exercises, gradient flow, BPTT experiments
  shared/      what the models share: the Model base, per-step drawing, decoding, plots,
               interrupts
  data/        the COCO captioning layout, the shapes set, text corpora
The flat module names of before (``minigraph.models.char_rnn``...) still import, with a
DeprecationWarning: _moved.py lists them, and the framework's one finder for moved modules
(minigraph/moved_modules.py) serves them once registered here.
"""

from minigraph import moved_modules

from . import _moved

moved_modules.register(_moved.MOVED)
