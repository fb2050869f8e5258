"""genlab: train, sample, evaluate and compare deep generative models on equal footing."""

__version__ = "0.1.0"
