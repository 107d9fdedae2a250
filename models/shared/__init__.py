"""What every model of the application shares: the Model base (parameters, graphs,
checkpoints), the per-step drawing mode, greedy and beam decoding, loss plots, and stopping
a training run cleanly on Ctrl-C. It imports only the framework."""
