"""The teaching lab: the neuron page, the BPTT exercise ladder, the gradient-flow heatmaps,
the vanishing-gradient experiment, graph statistics and the engine tour."""
