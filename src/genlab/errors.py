"""User-facing errors: each one prints as a single line and exits non-zero (see cli.main)."""


class GenlabError(Exception):
    """A problem with the user's input or environment; printed as one line, exit code 2."""

    exit_code = 2
    label = "error"  # the CLI prints "genlab: <label>: <message>"


class DataError(GenlabError):
    """A dataset file or folder is missing, truncated or malformed."""


class ConfigError(GenlabError):
    """An unknown config key, a wrong type, or an invalid value."""


class CheckpointError(GenlabError):
    """A run folder or checkpoint is missing or unreadable."""


class TrainingDiverged(GenlabError):
    """A loss became NaN or inf; the last good checkpoint is kept."""

    exit_code = 3


class TrainingFailed(GenlabError):
    """A training process that genlab started (compare --devices) ended with an error."""
    exit_code = 3


class PathError(GenlabError):
    """An output path that is a file where a folder is needed, or that cannot be written."""


class Stopped(GenlabError):
    """SIGTERM or SIGINT stopped the work: at a step boundary with a checkpoint written, or outside training
    where nothing is lost; `--resume` (or re-running compare) continues. Exit code 4; a second signal stops
    at once with 128 + the signal's number."""

    exit_code = 4
    label = "stopped"

    def __init__(self, message: str, exit_code: int = 4):
        super().__init__(message)
        self.exit_code = exit_code


class NotAvailable(GenlabError):
    """A quantity that is not defined for this model (e.g. a GAN's likelihood); carries the reason."""
