"""Architecture factory: presets, overrides, errors, serialization, accessors."""
from __future__ import annotations

import keras
import numpy as np
import pytest

import architectures
from _helpers import random_one_hot as one_hot
from architectures import access, layers
from architectures.config import ACTIVATION_NAMES, ModelConfig
from simulate.errors import InputError

# The spec's presets, written out independently of architectures.MODEL_CONFIGS:
# name -> (pool size, activation, conv BatchNorm, LayerNorm placement)
SPEC = {
    "CNN4-ReLU": (4, "relu", False, None),
    "CNN4-ReLU-Norm": (4, "relu", True, "pre"),
    "CNN4-Exp": (4, "exp", False, None),
    "CNN4-Exp-Norm": (4, "exp", True, "pre"),
    "CNN10-ReLU": (10, "relu", False, "pre"),  # Appendix E: "with layer norm"
    "CNN10-Exp": (10, "exp", False, "pre"),
    "CNN20-ReLU": (20, "relu", False, None),
    "CNN20-ReLU-Norm": (20, "relu", True, "pre"),
    "CNN20-Exp": (20, "exp", False, None),
    "CNN20-Exp-Norm": (20, "exp", True, "pre"),
    "SATORI": (6, "softplus", True, "post"),
}
# The convolution-attention presets (the attention-free AttnGen-CNN is tested on its own below).
CAN_PRESETS = [name for name in architectures.available_models() if architectures.resolve_config(name).has_attention]
# Small enough that building and running every case takes milliseconds.
TINY = dict(n_filters=6, dense_units=8, num_heads=2, key_dim=4, input_length=60, n_tasks=3)


def layer_names(model):
    return [layer.name for layer in model.layers]


def expected_layer_names(batch_norm, layer_norm):
    names = ["sequence", "conv"]
    names += ["conv_batch_norm"] if batch_norm else []
    names += ["conv_activation", "pool", "pool_dropout"]
    names += ["attention_pre_norm"] if layer_norm in ("pre", "both") else []
    names += ["attention"]
    names += ["attention_post_norm"] if layer_norm in ("post", "both") else []
    names += ["attention_dropout", "flatten", "dense", "dense_batch_norm", "dense_activation",
              "dense_dropout", "output"]
    return names


def activation_of(model):
    fn = model.get_layer(layers.CONV_ACTIVATION).activation
    return {architectures.exponential: "exp"}.get(fn, getattr(fn, "__name__", None))


def test_available_models_match_spec():
    assert sorted(architectures.available_models()) == sorted([*SPEC, "AttnGen-CNN"])
    assert sorted(CAN_PRESETS) == sorted(SPEC)


def test_attngen_cnn_is_the_papers_model():
    model = architectures.build_model("AttnGen-CNN", n_tasks=2)
    assert layer_names(model) == [
        "sequence", "embedding",
        "conv", "conv_batch_norm", "conv_activation", "pool",
        "conv_2", "conv_batch_norm_2", "conv_activation_2", "pool_2",
        "conv_3", "conv_batch_norm_3", "conv_activation_3", "pool_3",
        "flatten", "dense", "dense_activation", "dense_dropout", "output"]
    assert model.get_layer("embedding").units == 128
    assert [model.get_layer(n).filters for n in ("conv", "conv_2", "conv_3")] == [32, 16, 4]
    assert all(model.get_layer(n).kernel_size == (8,) for n in ("conv", "conv_2", "conv_3"))
    assert all(model.get_layer(n).pool_size == (2,) for n in ("pool", "pool_2", "pool_3"))
    assert model.get_layer("dense_dropout").rate == pytest.approx(0.3)
    assert tuple(model.output.shape) == (None, 2)
    x = one_hot(5, 200)
    np.testing.assert_allclose(model.predict(x, verbose=0).sum(axis=1), 1.0, rtol=1e-5)  # softmax head
    assert not access.has_attention(model)


@pytest.mark.parametrize("overrides,message", [
    ({"family": "rnn"}, "family must be one of"),
    ({"head": "linear"}, "head must be one of"),
    ({"block_channels": [8, 0]}, "block_channels must all be >= 1"),
    ({"block_channels": []}, "at least one entry"),
    ({"pool_size": 8, "input_length": 100}, "leave no positions"),
])
def test_bad_cnn_family_settings(overrides, message):
    with pytest.raises(InputError, match=message):
        architectures.resolve_config("AttnGen-CNN", **overrides)
    with pytest.raises(InputError, match="belong to the cnn family"):
        architectures.resolve_config("CNN20-Exp", block_channels=[8])


def test_activation_table_covers_config_choices():
    assert set(layers.ACTIVATIONS) == set(ACTIVATION_NAMES)


@pytest.mark.parametrize("name", CAN_PRESETS)
def test_preset_builds_documented_layers(name):
    pool, activation, batch_norm, layer_norm = SPEC[name]
    model = architectures.build_model(name)
    assert model.name == name
    assert layer_names(model) == expected_layer_names(batch_norm, layer_norm)
    assert tuple(model.input.shape) == (None, 200, 4)
    assert tuple(model.output.shape) == (None, 12)

    conv = model.get_layer(layers.CONV)
    assert (conv.filters, conv.kernel_size, conv.padding) == (32, (19,), "same")
    assert conv.use_bias is (not batch_norm)  # BatchNorm's offset replaces the bias
    assert activation_of(model) == activation
    assert model.get_layer(layers.POOL).pool_size == (pool,)
    attention = model.get_layer(layers.ATTENTION)
    assert (attention.num_heads, attention.key_dim) == (8, 32)
    assert model.get_layer("pool_dropout").rate == pytest.approx(0.1)
    assert model.get_layer("attention_dropout").rate == pytest.approx(0.1)
    assert model.get_layer("dense").units == 512
    assert model.get_layer("dense_dropout").rate == pytest.approx(0.5)
    out = model.get_layer("output")
    assert out.units == 12 and out.activation is keras.activations.sigmoid


@pytest.mark.parametrize(
    "name, overrides, check",
    [
        ("CNN4-ReLU", {"pool_size": 5}, lambda m: m.get_layer("pool").pool_size == (5,)
         and m.get_layer("attention").output[1].shape[-1] == 200 // 5),
        ("CNN4-ReLU", {"activation": "gelu"}, lambda m: activation_of(m) == "gelu"),
        ("CNN4-ReLU", {"activation": "exp"}, lambda m: activation_of(m) == "exp"),
        ("CNN4-ReLU", {"batch_norm": True}, lambda m: "conv_batch_norm" in layer_names(m)
         and not m.get_layer("conv").use_bias),
        ("SATORI", {"batch_norm": False}, lambda m: "conv_batch_norm" not in layer_names(m)
         and m.get_layer("conv").use_bias),
        ("CNN4-ReLU", {"layer_norm": "both"}, lambda m: {"attention_pre_norm", "attention_post_norm"}
         <= set(layer_names(m))),
        ("CNN4-ReLU-Norm", {"layer_norm": None}, lambda m: not any("norm" in n and "batch" not in n
                                                                 for n in layer_names(m))),
        ("CNN4-ReLU", {"num_heads": 3}, lambda m: m.get_layer("attention").num_heads == 3),
        ("CNN4-ReLU", {"key_dim": 5}, lambda m: m.get_layer("attention").key_dim == 5),
        ("CNN4-ReLU", {"dense_units": 7}, lambda m: m.get_layer("dense").units == 7),
        ("CNN4-ReLU", {"dense_batch_norm": False}, lambda m: "dense_batch_norm" not in layer_names(m)
         and m.get_layer("dense").use_bias),
        ("CNN4-ReLU", {"n_filters": 9}, lambda m: m.get_layer("conv").filters == 9),
        ("CNN4-ReLU", {"filter_width": 7}, lambda m: m.get_layer("conv").kernel_size == (7,)),
        ("CNN4-ReLU", {"input_length": 100}, lambda m: tuple(m.input.shape) == (None, 100, 4)),
        ("CNN4-ReLU", {"n_tasks": 3}, lambda m: tuple(m.output.shape) == (None, 3)),
    ],
)
def test_override_takes_effect(name, overrides, check):
    base = {k: v for k, v in TINY.items() if k not in ("input_length", "n_tasks")}
    base.update(overrides)
    assert check(architectures.build_model(name, **base))
    assert architectures.resolve_config(name, **base).to_dict().items() >= overrides.items()


def test_unknown_model_lists_names():
    with pytest.raises(ValueError) as info:
        architectures.build_model("CNN5-Exp")
    assert isinstance(info.value, InputError)
    message = str(info.value)
    assert "CNN5-Exp" in message
    assert all(name in message for name in SPEC)


@pytest.mark.parametrize(
    "override, value",
    [
        ("pool_size", "4"),
        ("pool_size", 4.0),
        ("batch_norm", 1),
        ("activation", "swish-ish"),
        ("activation", 3),
        ("layer_norm", "middle"),
        ("layer_norm", True),
        ("n_filters", 0),
        ("num_heads", True),
        ("dense_dropout", 1.5),
        ("pool_size", 500),  # larger than the sequence
        ("pool", 4),  # unknown override name
    ],
)
def test_bad_override_names_it(override, value):
    with pytest.raises(InputError, match=override):
        architectures.build_model("CNN4-Exp", **{override: value})


def test_config_round_trips_through_dict():
    config = architectures.resolve_config("SATORI", n_filters=4, layer_norm="both")
    assert isinstance(config, ModelConfig)
    assert config.to_dict()["name"] == "SATORI"
    assert architectures.config_from_dict(config.to_dict()) == config
    assert config.attention_length == 200 // 6


@pytest.mark.parametrize("name", CAN_PRESETS)
def test_save_load_round_trip_identical(tmp_path, name):
    keras.utils.set_random_seed(1)
    model = architectures.build_model(name, **TINY)
    x = one_hot(16, TINY["input_length"])
    # one training step so BatchNorm statistics and weights are non-trivial
    model.compile(optimizer="adam", loss="binary_crossentropy")
    model.fit(x, np.ones((16, 3), np.float32), epochs=1, verbose=0)
    path = tmp_path / "model.keras"
    model.save(path)
    loaded = keras.saving.load_model(path, safe_mode=True)
    assert layer_names(loaded) == layer_names(model)
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    f0, a0 = architectures.pooled_features_and_attention(model, x)
    f1, a1 = architectures.pooled_features_and_attention(loaded, x)
    np.testing.assert_array_equal(f0, f1)
    np.testing.assert_array_equal(a0, a1)


def test_exponential_is_registered_not_lambda():
    model = architectures.build_model("CNN4-Exp", **TINY)
    config = model.get_layer(layers.CONV_ACTIVATION).get_config()["activation"]
    assert config["config"] == "glifac>exponential"
    assert keras.saving.get_registered_object("glifac>exponential") is architectures.exponential
    assert float(architectures.exponential(keras.ops.convert_to_tensor(1.0))) == pytest.approx(np.e)


@pytest.mark.parametrize("name", ["CNN4-Exp-Norm", "SATORI"])
def test_accessors_shapes_and_softmax(name):
    model = architectures.build_model(name, **TINY)
    pool = architectures.resolve_config(name).pool_size
    length = TINY["input_length"]
    x = one_hot(10, length, seed=3)
    features, attention = architectures.pooled_features_and_attention(model, x)
    conv = architectures.conv_activations(model, x)
    lp = length // pool
    assert conv.shape == (10, length, 6)
    assert features.shape == (10, lp, 6)
    assert attention.shape == (10, 2, lp, lp)
    np.testing.assert_allclose(attention.sum(axis=-1), 1.0, atol=1e-5)
    assert np.all(attention >= 0)
    # features are the max-pooled filter activations (before any LayerNorm)
    pooled = conv[:, : lp * pool].reshape(10, lp, pool, 6).max(axis=2)
    np.testing.assert_allclose(features, pooled, rtol=1e-6)


def test_accessor_probe_is_cached_and_batches_agree():
    model = architectures.build_model("CNN20-Exp", **TINY)
    x = one_hot(50, TINY["input_length"], seed=4)
    f_small, a_small = architectures.pooled_features_and_attention(model, x[:7])
    f_big, a_big = architectures.pooled_features_and_attention(model, x, batch_size=16)  # batched path
    np.testing.assert_allclose(f_big[:7], f_small, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(a_big[:7], a_small, rtol=1e-5, atol=1e-6)
    probe = access._PROBES[model]["pool_attention"]
    architectures.pooled_features_and_attention(model, x[:3])
    assert access._PROBES[model]["pool_attention"] is probe


def test_layer_name_constants():
    model = architectures.build_model("CNN4-ReLU", **TINY)
    for name in (architectures.CONV, architectures.CONV_ACTIVATION, architectures.POOL,
                 architectures.ATTENTION):
        model.get_layer(name)  # raises if missing
    assert architectures.has_attention(model)


def test_no_attention_and_bad_input_raise_input_error():
    inputs = keras.Input((60, 4))
    plain = keras.Model(inputs, keras.layers.Dense(3, name="output")(keras.layers.Flatten()(inputs)))
    assert not architectures.has_attention(plain)
    with pytest.raises(InputError, match="model has no attention layer"):
        architectures.pooled_features_and_attention(plain, one_hot(2, 60))
    model = architectures.build_model("CNN4-ReLU", **TINY)
    with pytest.raises(InputError, match=r"\(N, L, 4\)"):
        architectures.conv_activations(model, np.zeros((2, 60, 5), np.float32))
    with pytest.raises(InputError, match="length 60"):
        architectures.pooled_features_and_attention(model, one_hot(2, 80))


def test_predict_in_batches_matches_one_forward_pass():
    model = architectures.build_model("CNN20-Exp", **TINY)
    x = one_hot(23, TINY["input_length"], seed=5)
    whole = keras.ops.convert_to_numpy(model(x, training=False))
    batched = architectures.predict_in_batches(model, x, batch_size=5)  # 23 = 4 x 5 + 3
    assert batched.shape == (23, model.output_shape[-1])
    np.testing.assert_allclose(batched, whole, rtol=1e-5, atol=1e-6)
    empty = architectures.predict_in_batches(model, x[:0])
    assert empty.shape == (0, model.output_shape[-1])
