"""Data: the cs231n COCO captioning layout, and a shapes captioning set made here."""

from .coco import decode_captions, load_coco_data, sample_coco_minibatch
