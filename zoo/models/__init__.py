"""Every model family registers itself on import; adding a model is one new file listed here."""
from zoo.models import cnn, linear, mlp, rnn, tcn, transformer  # noqa: F401
