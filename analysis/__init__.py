"""Interpretation of convolution-attention networks: pure functions over NumPy arrays.

One module per verb; one-hot sequences are (N, L, 4), channels last, A C G T.
No Keras import here: models enter :mod:`analysis.extract` as callables.
"""
from analysis.attribution import (attention_sharpness, continuous_jaccard, entropy, gini, gradient_correction,
                                  ground_truth_scores, position_scores)
from analysis.classification import (accuracy, binary_crossentropy, categorical_crossentropy,
                                     classification_metrics, cross_entropy, pooled_auc)
from analysis.cooccurrence import motif_presence, presence_correlation
from analysis.correlation import (CorrelationAccumulator, GlifacMap, GlifacMaps, correlation_map, glifac_map,
                                  glifac_maps, symmetrize)
from analysis.filters import (FilterPPMAccumulator, filter_ppms, information_content, max_activations,
                              position_information_content, window_start)
from analysis.localisation import instance_mask, localisation_auroc
from analysis.local_attention import (LocalAttentionMap, LocalAttentionMaps, active_filters, interaction_counts,
                                      local_attention_map, local_attention_maps)
from analysis.pairs import aggregate_heads, attended_pairs, attention_histogram, random_pairs
from analysis.scoring import (filter_pair_scores, interaction_metrics, local_attention_scores, motif_pair_metrics,
                              motif_pair_table)
from analysis.shuffle import dinucleotide_shuffle
from analysis.tomtom import (FilterMatch, benjamini_hochberg, filter_coverage, match_filters, matches_to_columns,
                             tomtom_pvalues)

__all__ = [
    "CorrelationAccumulator",
    "FilterMatch",
    "FilterPPMAccumulator",
    "GlifacMap",
    "GlifacMaps",
    "LocalAttentionMap",
    "LocalAttentionMaps",
    "active_filters",
    "aggregate_heads",
    "attended_pairs",
    "attention_histogram",
    "attention_sharpness",
    "benjamini_hochberg",
    "accuracy",
    "continuous_jaccard",
    "entropy",
    "gini",
    "gradient_correction",
    "ground_truth_scores",
    "position_scores",
    "instance_mask",
    "localisation_auroc",
    "binary_crossentropy",
    "categorical_crossentropy",
    "cross_entropy",
    "classification_metrics",
    "correlation_map",
    "dinucleotide_shuffle",
    "filter_coverage",
    "filter_pair_scores",
    "filter_ppms",
    "glifac_map",
    "glifac_maps",
    "information_content",
    "interaction_counts",
    "interaction_metrics",
    "local_attention_map",
    "local_attention_maps",
    "local_attention_scores",
    "match_filters",
    "matches_to_columns",
    "max_activations",
    "motif_pair_metrics",
    "motif_presence",
    "motif_pair_table",
    "pooled_auc",
    "position_information_content",
    "presence_correlation",
    "random_pairs",
    "symmetrize",
    "tomtom_pvalues",
    "window_start",
]
