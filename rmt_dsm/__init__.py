"""rmt_dsm: exact high-dimensional learning curves of denoising score matching
with a random-features score (conventions: docs/model.md; derivations: derivations/)."""
__version__ = "0.1.0"

__all__ = ["errors", "learning_curve", "Errors", "PrecisionWarning", "__version__"]


def __getattr__(name):  # lazy: `import rmt_dsm` stays light for the simulator
    if name in ("errors", "learning_curve", "Errors", "ThresholdDivergence"):
        from . import api

        globals()[name] = value = getattr(api, name)  # later look-ups find it without this call
        return value
    if name == "PrecisionWarning":
        from .precision import PrecisionWarning

        return PrecisionWarning
    raise AttributeError(f"module 'rmt_dsm' has no attribute {name!r}")
