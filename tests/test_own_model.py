"""Interpreting a model built elsewhere on the user's own sequences: readers, layer discovery, motif files,
the command line and its errors."""
from __future__ import annotations

import gzip
import json

import keras
import numpy as np
import pytest

import simulate
from _helpers import random_one_hot
from _helpers import run_glifac as main
from architectures.discover import CanProbe, find_can_layers
from simulate.errors import InputError
from simulate.motif_files import read_meme, read_truth
from simulate.sequences import read_sequences

LENGTH = 120
# motifs the test plants, sets as filters 0 and 1 and writes into a MEME file
MOTIF = "CACGTGAC"
SECOND = "TTAGGGTA"



def foreign_model(with_attention=True, padding="valid", n_outputs=3):
    """A CAN with names of its own and an extra layer between pooling and attention; filter 0 reads MOTIF."""
    keras.utils.set_random_seed(0)
    inp = keras.Input((LENGTH, 4), name="dna")
    h = keras.layers.Conv1D(6, 8, padding=padding, name="scan")(inp)
    h = keras.layers.Activation("relu", name="rectify")(h)
    h = keras.layers.MaxPooling1D(10, name="squeeze")(h)
    h2 = keras.layers.Dense(12, name="extra_projection")(h)
    if with_attention:
        h2 = keras.layers.MultiHeadAttention(2, 6, name="self_attention")(h2, h2)
    out = keras.layers.Dense(n_outputs, activation="sigmoid", name="head")(keras.layers.Flatten(name="flat")(h2))
    model = keras.Model(inp, out, name="foreign")
    kernel, bias = model.get_layer("scan").get_weights()
    for f, motif in enumerate((MOTIF, SECOND)):
        kernel[:, :, f] = 3.0 * simulate.encode(motif).astype(np.float32) - 1.0  # +2 per matching base, -1 else
        bias[f] = -14.0  # a full match scores 8 x 2 = 16; one mismatch 13: active only on the motif
    model.get_layer("scan").set_weights([kernel, bias])
    return model


def sequences_with_motif(n=300, seed=0):
    rng = np.random.default_rng(seed)
    bases = rng.integers(0, 4, size=(n, LENGTH))
    x = simulate.one_hot(bases)
    starts = rng.integers(0, LENGTH // 2 - len(MOTIF), size=n)
    for i, s in enumerate(starts):
        x[i, s:s + len(MOTIF)] = simulate.encode(MOTIF)
        if i % 2:  # the second motif in half of the sequences, in the right half
            x[i, LENGTH // 2 + s:LENGTH // 2 + s + len(SECOND)] = simulate.encode(SECOND)
    return x


def write_fasta(path, x, compress=False, wrap=60):
    lines = []
    for i, s in enumerate(simulate.decode(x)):
        lines.append(f">seq{i} some description")
        lines += [s[k:k + wrap] for k in range(0, len(s), wrap)]
    text = "\n".join(lines) + "\n"
    if compress:
        with gzip.open(path, "wt") as fh:
            fh.write(text)
    else:
        path.write_text(text)
    return path


def write_meme(path, extra=()):
    """MOTIF as EBOX and SECOND as M0002 (no alternate name), then ``extra`` (name, sequence) motifs."""
    def ppm(sequence):
        rows = simulate.encode(sequence).astype(float) * 0.94 + 0.015
        return rows / rows.sum(axis=1, keepdims=True)

    body = ["MEME version 4", "", "ALPHABET= ACGT", "", "strands: + -", ""]
    entries = [("M0001", "EBOX", ppm(MOTIF)), ("M0002", None, ppm(SECOND))]
    entries += [(f"X{k:04d}", name, ppm(sequence)) for k, (name, sequence) in enumerate(extra)]
    for ident, name, ppm in entries:
        body.append(f"MOTIF {ident}" + (f" {name}" if name else ""))
        body.append(f"letter-probability matrix: alength= 4 w= {len(ppm)} nsites= 20 E= 0")
        body += [" ".join(f"{v:.4f}" for v in row) for row in ppm]
        body.append("")
    path.write_text("\n".join(body))
    return path


# ---------------------------------------------------------------- sequence files
def test_fasta_plain_and_gzip_read_the_same(tmp_path):
    x = random_one_hot(20, LENGTH, seed=1).astype(np.uint8)
    plain = read_sequences(write_fasta(tmp_path / "s.fa", x))
    packed = read_sequences(write_fasta(tmp_path / "s.fasta.gz", x, compress=True))
    np.testing.assert_array_equal(plain.x, x)
    np.testing.assert_array_equal(packed.x, x)
    assert plain.names[:2] == ["seq0", "seq1"]


def test_iupac_codes_become_zero_rows(tmp_path):
    path = tmp_path / "n.fa"
    path.write_text(">a\nACGTNRYacgtn\n")
    x = read_sequences(path).x[0]
    assert x[:4].argmax(axis=1).tolist() == [0, 1, 2, 3] and x[8:11].argmax(axis=1).tolist() == [1, 2, 3]
    assert x[[4, 5, 6, 11]].sum() == 0


def test_npy_and_dataset_inputs(tmp_path, tiny_data_file):
    x = random_one_hot(5, LENGTH, seed=2).astype(np.uint8)
    np.save(tmp_path / "x.npy", x)
    np.testing.assert_array_equal(read_sequences(tmp_path / "x.npy").x, x)
    ds = read_sequences(tiny_data_file)
    assert ds.grammar is not None and ds.placements is not None and ds.length == 120


@pytest.mark.parametrize("content,message", [
    (">a\nACGT\n>b\nACGTACGT\n", "lengths 4 to 8"),
    (">a\nACGTXCGT\n", "expected A, C, G, T or an IUPAC code"),
    (">a\n\n>b\nACGT\n", "is empty"),
    ("ACGT\n", "unknown sequence format"),
])
def test_bad_fasta(tmp_path, content, message):
    path = tmp_path / "bad.txt" if content.startswith("ACGT") else tmp_path / "bad.fa"
    path.write_text(content)
    with pytest.raises(InputError, match=message):
        read_sequences(path)


def test_wrong_length_says_how_to_fix(tmp_path):
    path = write_fasta(tmp_path / "s.fa", random_one_hot(3, 100).astype(np.uint8))
    with pytest.raises(InputError, match="100 nt long, the model expects 120; trim or pad"):
        read_sequences(path, expected_length=120)


# ---------------------------------------------------------------- motif files
def test_meme_file(tmp_path):
    motifs = read_meme(write_meme(tmp_path / "m.meme"))
    assert [name for name, _ in motifs] == ["EBOX", "M0002"]  # alternate name, else the identifier
    assert motifs[0][1].shape == (8, 4) and np.allclose(motifs[0][1].sum(axis=1), 1)
    assert "".join("ACGT"[i] for i in motifs[0][1].argmax(axis=1)) == MOTIF
    assert "".join("ACGT"[i] for i in motifs[1][1].argmax(axis=1)) == SECOND


def test_bad_meme_files(tmp_path):
    path = tmp_path / "m.meme"
    path.write_text("MEME version 4\nALPHABET= ACDEFGHIKLMNPQRSTVWY\nMOTIF a\n")
    with pytest.raises(InputError, match="only DNA"):
        read_meme(path)
    path.write_text("MEME version 4\nMOTIF a\nletter-probability matrix: alength= 4 w= 3\n0.25 0.25 0.25 0.25\n")
    with pytest.raises(InputError, match="declares w= 3 but has 1 rows"):
        read_meme(path)
    path.write_text("nothing here\n")
    with pytest.raises(InputError, match="no MOTIF entries"):
        read_meme(path)


def test_truth_file(tmp_path):
    path = tmp_path / "t.tsv"
    path.write_text("# pairs\nSIX3\tELF1\tand\nGATA1 Foxa1\n")
    assert read_truth(path, ["Six3", "ELF1", "GATA1", "FOXA1"]) == [("Six3", "ELF1", "and"),
                                                                     ("GATA1", "FOXA1", "unknown")]
    path.write_text("SIX4\tELF1\n")
    with pytest.raises(InputError, match="'SIX4', which is not in the motif set"):
        read_truth(path, ["Six3", "ELF1"])


# ---------------------------------------------------------------- layer discovery
def test_layers_found_by_type():
    layers = find_can_layers(foreign_model())
    assert (layers.conv, layers.activation, layers.feature, layers.attention) == \
        ("scan", "rectify", "squeeze", "self_attention")


def test_probe_reads_attention_and_valid_padding_alignment():
    model = foreign_model()
    probe = CanProbe(model, find_can_layers(model))
    x = sequences_with_motif(4)
    features, attention = probe.features_and_attention(x)
    assert features.shape == (4, 11, 6) and attention.shape == (4, 2, 11, 11)
    np.testing.assert_allclose(attention.sum(axis=-1), 1.0, atol=1e-5)
    act = probe.conv_activations(x)
    assert act.shape == (4, LENGTH, 6)
    # filter 0 peaks where MOTIF starts, laid out as a same-padded convolution's output
    peak = act[:, :, 0].argmax(axis=1)
    starts = [simulate.decode(row).find(MOTIF) for row in x]
    assert (peak - (8 - 1) // 2).tolist() == starts


def test_named_layers_and_errors():
    model = foreign_model()
    with pytest.raises(InputError, match="no layer named 'nope'"):
        find_can_layers(model, attention="nope")
    with pytest.raises(InputError, match="is a Dense, not a MultiHeadAttention"):
        find_can_layers(model, attention="extra_projection")
    with pytest.raises(InputError, match="no MultiHeadAttention layer"):
        find_can_layers(foreign_model(with_attention=False))
    with pytest.raises(InputError, match="pass --feature-layer"):
        find_can_layers(model, feature="rectify")


# ---------------------------------------------------------------- the command
@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    root = tmp_path_factory.mktemp("own")
    foreign_model().save(root / "own.keras")
    foreign_model(with_attention=False).save(root / "plain.keras")
    x = sequences_with_motif(300)
    write_fasta(root / "seqs.fa.gz", x, compress=True)
    write_meme(root / "motifs.meme", extra=[("DECOY", "GATAAGGC")])  # in the reference set, in no truth pair
    (root / "truth.tsv").write_text("EBOX\tM0002\n")
    return root


def test_interpret_own_model_without_truth(saved, tmp_path, capsys):
    out = tmp_path / "o"
    code, stdout, err = main(["interpret", "--model", str(saved / "own.keras"), "--data", str(saved / "seqs.fa.gz"),
                              "--motifs", str(saved / "motifs.meme"), "--out", str(out), "--quiet",
                              "--task-names", "a,b,c"], capsys)
    assert code == 0, err
    scores = json.loads((out / "scores.json").read_text())
    assert scores["scored"] is False and "no ground truth: scores not computed" in scores["skip_reason"]
    assert scores["provenance"]["layers"]["attention"] == "self_attention"
    assert scores["provenance"]["task_names"] == ["a", "b", "c"]
    filters = (out / "filters.tsv").read_text().splitlines()
    assert filters[1].split("\t")[1] == "EBOX"  # filter 0 reads the planted motif and is labelled by the file
    assert "no ground truth: scores not computed" in (out / "report.html").read_text()
    assert "coverage" not in scores["filters"]  # a fraction of a reference set says nothing
    assert scores["filters"]["n_distinct_motifs_matched"] >= 1
    for name in ("maps.h5", "interactions.tsv", "filter_logos.png", "attention_null.png"):
        assert (out / name).stat().st_size > 0


def test_interpret_own_model_with_truth_is_scored(saved, tmp_path, capsys):
    out = tmp_path / "o"
    code, _, err = main(["interpret", "--model", str(saved / "own.keras"), "--data", str(saved / "seqs.fa.gz"),
                         "--motifs", str(saved / "motifs.meme"), "--truth", str(saved / "truth.tsv"),
                         "--out", str(out), "--quiet"], capsys)
    assert code == 0, err
    scores = json.loads((out / "scores.json").read_text())
    assert scores["ground_truth"] == [{"motifs": ["EBOX", "M0002"], "logic": "unknown"}]
    assert scores["scored"] is True
    labels = [line.split("\t")[1] for line in (out / "filters.tsv").read_text().splitlines()[1:]]
    assert labels[:2] == ["EBOX", "M0002"]
    # coverage is over the truth-pair motifs, not the whole reference set (which also holds DECOY)
    coverage = scores["filters"]
    assert coverage["motif_scope"] == "truth-pair motifs"
    assert coverage["coverage"] == 1.0 and coverage["matched_motifs"] == ["EBOX", "M0002"]
    assert "truth-pair motifs covered: 1" in (out / "report.html").read_text()
    ranked = (out / "interactions.tsv").read_text().splitlines()
    true_rows = [row for row in ranked[1:] if "EBOX" in row and "M0002" in row]
    assert true_rows and all(row.split("\t")[8] == "True" for row in true_rows)


@pytest.mark.parametrize("case,message", [
    ("no attention", "no MultiHeadAttention layer"),
    ("wrong length", "the model expects 120; trim or pad"),
    ("no data", "--model needs --data"),
    ("both", "pass either --run"),
    ("run option", "--conv-layer goes with --model"),
    ("missing model", "model file not found"),
    ("bad truth", "not in the motif set"),
])
def test_bad_input_exits_2(case, message, saved, tmp_path, capsys):
    args = ["interpret", "--model", str(saved / "own.keras"), "--data", str(saved / "seqs.fa.gz"),
            "--motifs", str(saved / "motifs.meme"), "--out", str(tmp_path / "o")]
    if case == "no attention":
        args[2] = str(saved / "plain.keras")
    elif case == "wrong length":
        args[4] = str(write_fasta(tmp_path / "short.fa", random_one_hot(3, 100).astype(np.uint8)))
    elif case == "no data":
        args = args[:3] + args[5:]
    elif case == "both":
        args += ["--run", str(tmp_path)]
    elif case == "run option":
        args = ["interpret", "--run", str(tmp_path), "--conv-layer", "scan"]
    elif case == "missing model":
        args[2] = str(tmp_path / "none.keras")
    elif case == "bad truth":
        (tmp_path / "t.tsv").write_text("EBOX\tCTCF\n")
        args += ["--truth", str(tmp_path / "t.tsv")]
    code, _, err = main(args, capsys)
    assert code == 2, err
    assert message in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "o").exists()


def test_model_with_unknown_custom_objects_or_unreadable_h5(tmp_path, capsys):
    @keras.saving.register_keras_serializable(package="glifac_test", name="Doubler")
    class Doubler(keras.layers.Layer):
        def call(self, x):
            return 2 * x

    inp = keras.Input((LENGTH, 4))
    keras.Model(inp, Doubler()(inp)).save(tmp_path / "custom.keras")
    keras.saving.get_custom_objects().pop("glifac_test>Doubler")  # as in a fresh process that never defined it
    fasta = write_fasta(tmp_path / "s.fa", random_one_hot(3, LENGTH).astype(np.uint8))
    code, _, err = main(["interpret", "--model", str(tmp_path / "custom.keras"), "--data", str(fasta),
                         "--out", str(tmp_path / "o")], capsys)
    assert code == 2 and "custom objects" in err and len(err.strip().splitlines()) == 1
    (tmp_path / "old.h5").write_bytes(b"\x89HDF\r\n\x1a\n" + b"\0" * 64)
    code, _, err = main(["interpret", "--model", str(tmp_path / "old.h5"), "--data", str(fasta),
                         "--out", str(tmp_path / "o")], capsys)
    assert code == 2 and "re-save it as .keras" in err and len(err.strip().splitlines()) == 1


def test_attention_masks_are_kept_when_scores_are_recomputed():
    inp = keras.Input((LENGTH, 4))
    h = keras.layers.MaxPooling1D(10)(keras.layers.Conv1D(4, 5, padding="same")(inp))
    a = keras.layers.MultiHeadAttention(2, 4, name="causal")(query=h, value=h, use_causal_mask=True)
    model = keras.Model(inp, keras.layers.Dense(1)(keras.layers.Flatten()(a)))
    _, attention = CanProbe(model, find_can_layers(model)).features_and_attention(random_one_hot(3, LENGTH))
    upper = np.triu(np.ones((12, 12), bool), k=1)
    assert np.all(attention[:, :, upper] == 0)  # a causal layer never attends ahead
    np.testing.assert_allclose(attention.sum(axis=-1), 1.0, atol=1e-5)


def test_variable_length_model_is_refused():
    inp = keras.Input((None, 4))
    h = keras.layers.MaxPooling1D(10)(keras.layers.Conv1D(4, 5, padding="same")(inp))
    a = keras.layers.MultiHeadAttention(2, 4)(h, h)
    model = keras.Model(inp, keras.layers.Dense(1)(keras.layers.GlobalAveragePooling1D()(a)))
    with pytest.raises(InputError, match="sequences of any length"):
        find_can_layers(model)
