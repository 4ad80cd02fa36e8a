"""Bayesian calibration of the pain model against the published LDN trials (``ldnsim calibrate``).

Pipeline (:func:`calibrate`): a space-filling design of virtual-trial runs per model variant
(:mod:`.runs`), a Gaussian-process emulator per published quantity with its held-out validation error
(:mod:`.emulator`), NUTS (numpyro) on a hierarchical model with study-level random effects and a
design-feature placebo model (:mod:`.model`), R-hat/ESS, PSIS-LOO comparison across variants (arviz), the
TLR4 IC50 prior–data conflict, and the posterior-predictive check of the validation trials
(:mod:`.pipeline`). :mod:`.store` writes the shipped posterior (``system/posterior.npz`` + ``.yaml``) that
:meth:`ldnsim.data.parameter_set.ParameterSet.draws` reads. Needs the ``bayes`` extra (numpyro, jax, arviz).
"""

from __future__ import annotations

from .pipeline import DEFAULT_VARIANTS, SMOKE, CalibrationResult, Settings, calibrate

__all__ = ["calibrate", "Settings", "CalibrationResult", "DEFAULT_VARIANTS", "SMOKE"]
