"""Interpretation of a trained run: settings (:mod:`.config`), the pipeline (:mod:`.pipeline`), the
model-free analysis (:mod:`.analyse`), the output files (:mod:`.outputs`), figures and report, and
``glifac interpret`` (:mod:`.cli`).

Importing this package does not import TensorFlow; :func:`interpret` does, when called.
"""
from glifac.interpretation.config import METHODS, InterpretConfig, parse_thresholds
from glifac.interpretation.outputs import read_maps
from glifac.interpretation.pipeline import InterpretResult, interpret

__all__ = ["METHODS", "InterpretConfig", "InterpretResult", "interpret", "parse_thresholds", "read_maps"]
