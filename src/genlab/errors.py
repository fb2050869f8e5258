"""User-facing errors: each one prints as a single line and exits non-zero (see cli.main)."""


class GenlabError(Exception):
    """A problem with the user's input or environment; printed as one line, exit code 2."""

    exit_code = 2


class DataError(GenlabError):
    """A dataset file or folder is missing, truncated or malformed."""


class ConfigError(GenlabError):
    """An unknown config key, a wrong type, or an invalid value."""


class CheckpointError(GenlabError):
    """A run folder or checkpoint is missing or unreadable."""


class TrainingDiverged(GenlabError):
    """A loss became NaN or inf; the last good checkpoint is kept."""

    exit_code = 3


class NotAvailable(GenlabError):
    """A quantity that is not defined for this model (e.g. a GAN's likelihood); carries the reason."""
