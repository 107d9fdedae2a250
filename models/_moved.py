"""The application's old flat module paths and where each module is now: data only.

Until issue 23 the application was one folder: ``minigraph.models.char_rnn``,
``minigraph.models.captioning_solver``, ``minigraph.models.caption_commands``... Users'
notebooks and scripts import those names. models/__init__.py registers this table with the
framework's one finder (minigraph/moved_modules.py), which imports the module at its new
path, enters that same module object under the old name as well and emits a
DeprecationWarning naming the new path. A moved package's submodules follow it
(``exercises.checking`` is ``lab.exercises.checking``) unless the table moves them elsewhere.
"""

MOVED = {  # old full name -> new full name
    # the shared floor
    "minigraph.models.model": "minigraph.models.shared.model",
    "minigraph.models.per_step": "minigraph.models.shared.per_step",
    "minigraph.models.decoding": "minigraph.models.shared.decoding",
    "minigraph.models.plots": "minigraph.models.shared.plots",
    "minigraph.models.interrupt": "minigraph.models.shared.interrupt",
    # captioning
    "minigraph.models.captioning_rnn": "minigraph.models.captioning.rnn_captioner",
    "minigraph.models.attention_captioner": "minigraph.models.captioning.attention_captioner",
    "minigraph.models.attention_sampling": "minigraph.models.captioning.attention_sampling",
    "minigraph.models.attention_gallery": "minigraph.models.captioning.attention_gallery",
    "minigraph.models.captioning_solver": "minigraph.models.captioning.solver",
    "minigraph.models.caption_eval": "minigraph.models.captioning.evaluation",
    "minigraph.models.bleu": "minigraph.models.captioning.bleu",
    "minigraph.models.attribute_scorer": "minigraph.models.captioning.attribute_scorer",
    "minigraph.models.attribute_rerank": "minigraph.models.captioning.attribute_rerank",
    "minigraph.models.caption_report": "minigraph.models.captioning.report",
    # char-rnn
    "minigraph.models.char_rnn": "minigraph.models.charrnn.model",
    "minigraph.models.char_train": "minigraph.models.charrnn.trainer",
    # the lab
    "minigraph.models.neurons": "minigraph.models.lab.neurons",
    "minigraph.models.neuron_record": "minigraph.models.lab.neuron_record",
    "minigraph.models.neuron_signals": "minigraph.models.lab.neuron_signals",
    "minigraph.models.neurons_page": "minigraph.models.lab.neurons_page",
    "minigraph.models.neurons_script": "minigraph.models.lab.neurons_script",
    "minigraph.models.gradient_flow": "minigraph.models.lab.gradient_flow",
    "minigraph.models.vanishing_gradient": "minigraph.models.lab.vanishing_gradient",
    "minigraph.models.bptt_figures": "minigraph.models.lab.bptt_figures",
    "minigraph.models.stats_table": "minigraph.models.lab.stats_table",
    "minigraph.models.engine_tour": "minigraph.models.lab.engine_tour",
    "minigraph.models.exercises": "minigraph.models.lab.exercises",
    # the command line (``cli`` itself kept its name: it is the package now)
    "minigraph.models.exercises.commands": "minigraph.models.cli.exercise",
    "minigraph.models.flags": "minigraph.models.cli.flags",
    "minigraph.models.caption_commands": "minigraph.models.cli.caption",
    "minigraph.models.caption_use": "minigraph.models.cli.caption_use",
    "minigraph.models.char_commands": "minigraph.models.cli.char",
    "minigraph.models.render_commands": "minigraph.models.cli.render",
    "minigraph.models.demo": "minigraph.models.cli.demo",
}
