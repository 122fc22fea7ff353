"""Tests for analysis.scoring with hand-computed answers."""
import numpy as np
import pytest

from analysis import (filter_pair_scores, interaction_metrics, local_attention_scores, motif_pair_metrics,
                      motif_pair_table, motif_presence, presence_correlation)
from simulate.errors import InputError
from simulate.grammar import Interaction

LABELS = ["A", "B", "C", "D", None]
TRUTH = [("A", "B"), ("C", "D")]
# candidate filter pairs (both labelled, different): 2 positives, 4 negatives
SCORES = {(0, 1): 0.9,    # A-B  positive
          (2, 3): 0.4,    # C-D  positive
          (0, 2): 0.5, (0, 3): 0.1, (1, 2): -0.2, (1, 3): 0.3}
POS = [0.9, 0.4]
NEG = [0.5, 0.1, -0.2, 0.3]


def sym_map(scores, F=5, unlabelled=0.95):
    m = np.zeros((F, F))
    m[:, 4] = m[4, :] = unlabelled          # filter 4 is unlabelled: excluded from candidates
    for (f, g), v in scores.items():
        m[f, g] = m[g, f] = v
    return m


def test_hand_computed_metrics_two_positives_four_negatives():
    res = interaction_metrics(sym_map(SCORES), LABELS, TRUTH)
    assert (res["n_pos"], res["n_neg"]) == (2, 4) and res["reason"] is None
    # ranking: 0.9 P, 0.5 N, 0.4 P, 0.3 N, 0.1 N, -0.2 N
    assert res["auroc"] == pytest.approx(7 / 8)                  # 4 + 3 of 8 pos/neg pairs ordered right
    assert res["aupr"] == pytest.approx((1 / 1 + 2 / 3) / 2)     # precision at each positive
    # PR points (recall, precision): (1, 2/3), (.5, .5), (.5, 1), (0, 1) -> 7/24 + 0 + 1/2
    assert res["aupr_trapezoid"] == pytest.approx(7 / 24 + 1 / 2)
    mean_pos, mean_neg = np.mean(POS), np.mean(NEG)
    assert res["snr"] == pytest.approx((mean_pos - mean_neg) / np.std(NEG, ddof=1))
    assert res["snr_ratio_of_means"] == pytest.approx(0.65 / 0.175)
    assert res["snr_top100"] == pytest.approx(0.65 / np.mean([0.5, 0.3, 0.1]))   # positive top negatives
    assert res["mean_pos"] == pytest.approx(0.65) and res["mean_neg"] == pytest.approx(0.175)


def test_interaction_formats_and_orientation_are_equivalent():
    m = sym_map(SCORES)
    ref = interaction_metrics(m, LABELS, TRUTH)
    for truth in ([("B", "A", "and"), ("D", "C", "xor")],
                  [{"motifs": ["A", "B"], "logic": "and"}, {"motifs": ["C", "D"]}],
                  [Interaction(("A", "B"), "and"), Interaction(("C", "D"), "xor")]):
        assert interaction_metrics(m, LABELS, truth) == ref
    assert interaction_metrics(m, ["A", "B", "C", "D", ""], TRUTH) == ref   # "" means unlabelled


def test_include_unlabelled_adds_negatives_like_the_authors_code():
    res = interaction_metrics(sym_map(SCORES), LABELS, TRUTH, include_unlabelled=True)
    assert (res["n_pos"], res["n_neg"]) == (2, 8)
    # four extra negatives at 0.95 rank above both positives
    assert res["auroc"] == pytest.approx(7 / 16)


def test_candidate_filters_drop_low_information_filters_like_the_authors():
    """The authors drop filters of <= 0.5 bits before GLIFAC: dropping the unlabelled filter 4
    removes the four negatives it added; dropping filter 2 (C) also removes C-D and C's negatives."""
    keep_all_but_4 = np.array([True, True, True, True, False])
    res = interaction_metrics(sym_map(SCORES), LABELS, TRUTH, include_unlabelled=True,
                              candidate_filters=keep_all_but_4)
    assert res == interaction_metrics(sym_map(SCORES), LABELS, TRUTH)
    res = interaction_metrics(sym_map(SCORES), LABELS, TRUTH, include_unlabelled=True,
                              candidate_filters=np.array([True, True, False, True, True]))
    # left: A-B 0.9 (pos), A-D 0.1, B-D 0.3, and A, B, D with the unlabelled filter at 0.95
    assert (res["n_pos"], res["n_neg"]) == (1, 5)
    assert res["auroc"] == pytest.approx(2 / 5)
    with pytest.raises(InputError, match="candidate_filters"):
        interaction_metrics(sym_map(SCORES), LABELS, TRUTH, candidate_filters=[1, 1, 1, 1, 1])


def test_ratio_of_means_is_ill_conditioned_but_snr_is_not():
    scores = dict(SCORES)
    scores.update({(0, 2): 0.2, (0, 3): -0.2, (1, 2): 0.1, (1, 3): -0.1})     # negatives average exactly 0
    res = interaction_metrics(sym_map(scores), LABELS, TRUTH)
    assert np.isinf(res["snr_ratio_of_means"])
    assert res["snr"] == pytest.approx(0.65 / np.std([0.2, -0.2, 0.1, -0.1], ddof=1))
    assert res["snr_top100"] == pytest.approx(0.65 / 0.15)


def test_no_positives_or_no_negatives_give_nan_with_reason():
    res = interaction_metrics(sym_map(SCORES), LABELS, [("A", "Z")])
    assert res["n_pos"] == 0 and res["n_neg"] == 6
    assert all(np.isnan(res[k]) for k in ("auroc", "aupr", "aupr_trapezoid", "snr", "snr_top100"))
    assert "no positive" in res["reason"]
    all_true = [("A", "B"), ("C", "D"), ("A", "C"), ("A", "D"), ("B", "C"), ("B", "D")]
    res = interaction_metrics(sym_map(SCORES), LABELS, all_true)
    assert res["n_neg"] == 0 and np.isnan(res["auroc"]) and "no negative" in res["reason"]
    res = interaction_metrics(sym_map(SCORES), [None] * 5, TRUTH)
    assert res["n_pos"] == res["n_neg"] == 0 and np.isnan(res["aupr"])


def test_asymmetric_maps_need_a_combine_rule():
    m = sym_map(SCORES)
    m[2, 3] = 0.0                      # directional: C at query, D at key only
    with pytest.raises(InputError, match="not symmetric"):
        interaction_metrics(m, LABELS, TRUTH)
    cand = filter_pair_scores(m, LABELS, TRUTH, combine="max")
    k = np.flatnonzero((cand["f"] == 2) & (cand["g"] == 3))[0]
    assert cand["score"][k] == 0.4 and cand["is_true"][k]
    cand = filter_pair_scores(m, LABELS, TRUTH, combine="sum")
    assert cand["score"][np.flatnonzero((cand["f"] == 0) & (cand["g"] == 1))[0]] == pytest.approx(1.8)


def test_bad_inputs_rejected():
    m = sym_map(SCORES)
    with pytest.raises(InputError):
        interaction_metrics(m, LABELS[:4], TRUTH)
    with pytest.raises(InputError):
        interaction_metrics(m, LABELS, [("A",)])
    with pytest.raises(InputError):
        interaction_metrics(m, LABELS, "AB")
    m[0, 1] = m[1, 0] = np.nan
    with pytest.raises(InputError, match="NaN"):
        interaction_metrics(m, LABELS, TRUTH)


def test_motif_pair_table_takes_best_filter_pair_and_ranks():
    labels = ["A", "B", "C", "D", "A"]      # filter 4 is a second A filter
    scores = dict(SCORES)
    scores.update({(1, 4): 0.95, (0, 4): 0.99, (2, 4): 0.0, (3, 4): 0.2})   # (0, 4) is A-A: not a candidate
    rows = motif_pair_table(sym_map(scores, unlabelled=0.0), labels, TRUTH + [("D", "E")])
    got = [(r["motif_a"], r["motif_b"], r["score"], r["filter_a"], r["filter_b"], r["n_filter_pairs"], r["is_true"])
           for r in rows]
    assert got[:6] == [
        ("B", "A", 0.95, 1, 4, 2, True),     # best of (0,1)=0.9 and (1,4)=0.95
        ("A", "C", 0.5, 0, 2, 2, False),     # (0,2)=0.5, (2,4)=0.0
        ("C", "D", 0.4, 2, 3, 1, True),
        ("B", "D", 0.3, 1, 3, 1, False),
        ("D", "A", 0.2, 3, 4, 2, False),     # best of (0,3)=0.1 (A,D) and (3,4)=0.2 (D,A)
        ("B", "C", -0.2, 1, 2, 1, False),
    ]
    assert got[6][:2] == ("D", "E") and np.isnan(got[6][2]) and got[6][6] is True
    assert len(motif_pair_table(sym_map(scores, unlabelled=0.0), labels, TRUTH + [("D", "E")],
                                include_missing=False)) == 6


# ----------------------------------------------------------------------------- local attention
LA_LABELS = ["A", "B", "C", None, "A"]


def la_counts():
    m = np.zeros((5, 5), dtype=np.int64)
    m[0, 1] = 3   # A -> B  true
    m[1, 4] = 2   # B -> A  true (unordered)
    m[0, 2] = 4   # A -> C  false
    m[0, 4] = 5   # A -> A  same motif
    m[3, 0] = 6   # unlabelled
    m[2, 2] = 1   # C -> C  same filter
    return m


def test_local_attention_tpr_ppv_hand_built():
    res = local_attention_scores(la_counts(), LA_LABELS, [("A", "B"), ("C", "D")])
    assert res["tpr"] == pytest.approx(1 / 2)                 # A-B found, C-D never (no D filter)
    assert res["found"] == [("A", "B")] and res["missed"] == [("C", "D")]
    assert res["ppv"] == pytest.approx(5 / 9)                 # (3 + 2) true of 3 + 2 + 4 distinct-label
    assert res["ppv_all_labelled"] == pytest.approx(5 / 15)   # + 5 A-A + 1 C-C
    assert res["ppv_all_instances"] == pytest.approx(5 / 21)  # + 6 unlabelled
    assert (res["n_instances"], res["n_instances_labelled"], res["n_instances_distinct"],
            res["n_instances_true"]) == (21, 15, 9, 5)
    assert res["reason"] is None


def test_local_attention_homotypic_and_empty_cases():
    res = local_attention_scores(la_counts(), LA_LABELS, [("A", "B"), ("A", "A")])
    assert res["tpr"] == 1.0
    assert res["ppv"] == pytest.approx(5 / 9)                 # homotypic instances not in the headline PPV
    assert res["ppv_all_labelled"] == pytest.approx(10 / 15)
    res = local_attention_scores(np.zeros((5, 5)), LA_LABELS, [("A", "B")])
    assert res["tpr"] == 0.0 and np.isnan(res["ppv"]) and "no instances" in res["reason"]
    with pytest.raises(InputError):
        local_attention_scores(-la_counts(), LA_LABELS, [("A", "B")])


# ---------------------------------------------------------------- motif-level scores

MOTIFS = ["A", "B", "C", "D"]
PAIR_SCORES = {("A", "B"): 0.9, ("C", "D"): 0.95, ("A", "C"): 0.1, ("A", "D"): 0.2, ("B", "C"): 0.3,
               ("D", "B"): 0.0}


def test_motif_pair_metrics_against_all_pairs_and_against_decoys():
    """A-B true, C-D a decoy that outscores it: A-B beats 4 of the 5 other pairs (AUROC 0.8),
    and loses to its one decoy (AUROC vs decoys 0)."""
    res = motif_pair_metrics(PAIR_SCORES, MOTIFS, [("A", "B")], decoys=[("C", "D")])
    assert res["motif_auroc"] == pytest.approx(4 / 5)
    assert res["motif_aupr"] == pytest.approx(1 / 2)   # precision at the positive's rank 2
    assert res["motif_auroc_vs_decoys"] == 0.0
    assert res["true_ranks"] == [2] and res["decoy_ranks"] == [1]
    assert (res["n_motif_pairs"], res["n_motif_pairs_scored"], res["n_true_pairs"], res["n_decoy_pairs"]) == \
        (6, 6, 1, 1)
    matrix = np.zeros((4, 4))
    for (a, b), v in PAIR_SCORES.items():
        matrix[MOTIFS.index(a), MOTIFS.index(b)] = matrix[MOTIFS.index(b), MOTIFS.index(a)] = v
    assert motif_pair_metrics(matrix, MOTIFS, [("A", "B")], decoys=[("C", "D")]) == res
    rows = [{"motif_a": a, "motif_b": b, "score": v} for (a, b), v in PAIR_SCORES.items()]
    assert motif_pair_metrics(rows, MOTIFS, [("B", "A")], decoys=[("D", "C")]) == res
    assert np.isnan(motif_pair_metrics(PAIR_SCORES, MOTIFS, [("A", "B")])["motif_auroc_vs_decoys"])


def test_unscored_pairs_rank_below_every_scored_pair():
    scores = {k: v for k, v in PAIR_SCORES.items() if k != ("A", "B")}   # the true pair was never learned
    res = motif_pair_metrics(scores, MOTIFS, [("A", "B")])
    assert res["n_motif_pairs_scored"] == 5 and res["true_ranks"] == [6] and res["motif_auroc"] == 0.0


def test_presence_correlation_is_pearson_of_presence():
    rng = np.random.default_rng(0)
    presence = rng.random((500, 4)) < [0.2, 0.5, 0.3, 0.0]   # motif 3 never present
    presence[:, 1] |= presence[:, 0]                           # B follows A
    corr = presence_correlation(presence)
    expected = np.corrcoef(presence[:, :3].T.astype(float))
    np.testing.assert_allclose(corr[:3, :3][~np.eye(3, dtype=bool)], expected[~np.eye(3, dtype=bool)])
    assert np.all(corr[3] == 0) and np.all(np.diag(corr) == 0) and corr[0, 1] > 0.3
    placements = np.array([[0, 1, 5, 0], [2, 0, 9, 1], [2, 1, 30, 0], [7, 3, 3, 0]])
    got = motif_presence(placements, n_sequences=3, n_motifs=4)   # sequence 7 lies outside the subset
    np.testing.assert_array_equal(got, [[0, 1, 0, 0], [0, 0, 0, 0], [1, 1, 0, 0]])
    with pytest.raises(InputError, match="outside"):
        motif_presence(placements, n_sequences=8, n_motifs=3)
