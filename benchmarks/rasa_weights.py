"""Rasa's trained DIET weights in our model: is our forward pass Rasa's function?

    .venv/bin/python benchmarks/rasa_weights.py --rasa-venv /work/rasa/venv \\
        --rasa-model MODEL.tar.gz --train ../shared/datasets/banking77/train.yml \\
        --test ../shared/datasets/banking77/test.yml

Separates the two halves of an accuracy difference with Rasa. The script fits our
featurizers on the training file (Rasa's default pipeline, as ``bench_vs_rasa.py``
trains), builds an untrained DIET of the same shape, copies every weight of the Rasa
model into it (the TensorFlow checkpoint is read by a small script run in Rasa's own
venv; feature columns are matched by vocabulary entry, labels by name), and evaluates
it with ``workbench.nlu.evaluation`` on the test (and training) file. If the accuracy
equals what ``rasa test nlu`` reports for the same model, featurization, the encoder,
the intent head and evaluation are the same function as Rasa's, and any gap between
the two tools' own models comes from training.

``--gradients N`` also runs the first N training examples through both tools with the
same weights, dropout off and the same negatives, and compares the loss, the
regularisation loss and every parameter's gradient; ``--train-steps K`` then runs K
whole training steps in both (fresh Adam, Rasa's L2 rule, connection masks) and
compares the weights, with torch's and with Keras' placement of Adam's epsilon.

Intent-only models (no entity tags in the data, no masked LM) and Rasa's default
pipeline are supported; anything else stops with a message. Nothing here imports
Rasa or TensorFlow: the checkpoint is read in a subprocess of ``--rasa-venv``.
"""

from __future__ import annotations

import argparse
import functools
import json
import re
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import SimpleNamespace

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

# Run with Rasa's interpreter: checkpoint variables -> one .npz (no optimizer slots).
_DUMP = """
import sys, numpy as np, tensorflow as tf
reader = tf.train.load_checkpoint(sys.argv[1])
out = {}
for name in reader.get_variable_to_shape_map():
    if "_tf_layers/" in name and "OPTIMIZER" not in name:
        out[name.replace("/", "|")] = reader.get_tensor(name)
np.savez(sys.argv[2], **out)
"""
# Run with Rasa's interpreter: the loss of the first N training examples with
# dropout off and the negatives from an .npy file (inputs, then labels, the order of
# DotProductLoss._sample_negatives), then each variable overwritten by its gradient
# and saved as a checkpoint, so it can be read and mapped like the weights.
_GRADIENTS = """
import json, sys
import numpy as np, tensorflow as tf
from rasa.core.agent import Agent
from rasa.shared.nlu.training_data.loading import load_data
from rasa.utils.tensorflow import layers_utils
from rasa.utils.tensorflow.data_generator import RasaDataGenerator
model_tar, train, n, negatives, out = sys.argv[1:6]
nodes = Agent.load(model_tar).processor.graph_runner._instantiated_nodes
def number(name):
    return int("".join(c for c in name if c.isdigit()) or 0)
data = load_data(train)
diet = None
for name in sorted(nodes, key=number):
    component = nodes[name]._component
    if "DIETClassifier" in name:
        diet = component
    elif name.startswith("run_") and hasattr(component, "process_training_data"):
        component.process_training_data(data)
model_data = diet.preprocess_train_data(data)
neg = np.load(negatives)
calls = []
def fixed(batch_size, k, n_max):
    calls.append(int(n_max))
    return tf.constant(neg[(len(calls) - 1) % 2], dtype=tf.int32)
layers_utils.random_indices = fixed
batch = RasaDataGenerator.prepare_batch(model_data.data, 0, int(n))
model = diet.model
if int(sys.argv[6]):  # K training steps with dropout off and a fresh Adam instead
    for layer in model._flatten_layers(include_self=False, recursive=True):
        if isinstance(layer, tf.keras.layers.Dropout):
            layer.rate = 0.0
    model.compile(optimizer=tf.keras.optimizers.Adam(diet.component_config["learning_rate"]))
    for step in range(int(sys.argv[6])):
        model.train_step(RasaDataGenerator.prepare_batch(
            model_data.data, step * int(n), (step + 1) * int(n)))
    model.save(out)
    print(json.dumps({"calls": calls}))
    sys.exit(0)
model._training = False
with tf.GradientTape() as tape:
    loss = model.batch_loss(batch)
grads = tape.gradient(loss, model.trainable_variables)
regularization = float(tf.math.add_n(model.losses))
for variable, grad in zip(model.trainable_variables, grads):
    grad = tf.zeros_like(variable) if grad is None else tf.convert_to_tensor(grad)
    variable.assign(grad)
model.save(out)
result = {"loss": float(loss), "regularization": regularization, "calls": calls}
print(json.dumps(result))
"""
_SUFFIX = "/.ATTRIBUTES/VARIABLE_VALUE"
_TEXT = "sequence_layer..text/_tf_layers/"
_SPARSE = (
    _TEXT + "feature_combining/_tf_layers/sparse_dense..{}/_tf_layers/sparse_to_dense/"
)
_LABEL = (
    "feature_combining_layer..label/_tf_layers/sparse_dense..sequence/"
    "_tf_layers/sparse_to_dense/"
)
_TRANSFORMER = _TEXT + "transformer/"


class Unsupported(Exception):
    """The Rasa model has parts this check does not map (the message says which)."""


def read_checkpoint(rasa_venv: Path, prefix: Path, npz: Path) -> dict[str, np.ndarray]:
    """A TF checkpoint's layer variables, read with Rasa's Python, keyed by path."""
    python = rasa_venv / "bin" / "python"
    done = subprocess.run(
        [str(python), "-c", _DUMP, str(prefix), str(npz)],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise SystemExit(
            f"reading the checkpoint with {python} failed:\n{done.stderr[-2000:]}"
        )
    with np.load(npz) as stored:
        return {
            k.replace("|", "/")
            .removeprefix("model/")
            .removeprefix("_tf_layers/")
            .removesuffix(_SUFFIX): stored[k]
            for k in stored.files
        }


def export_rasa_model(rasa_venv: Path, model_tar: Path, workdir: Path) -> dict:
    """Unpack a Rasa model and read its DIET checkpoint and featurizer vocabularies.

    Returns:
        ``{"weights": {name: array}, "vocabularies": [per CountVectorsFeaturizer, in
        pipeline order], "lexical": {feature: {value: column}}, "sizes": {...}}``.
    """
    with tarfile.open(model_tar) as archive:
        archive.extractall(workdir, filter="data")
    components = next(p for p in workdir.rglob("components") if p.is_dir())
    diet = sorted(components.glob("train_DIETClassifier*"))
    if len(diet) != 1:
        raise Unsupported(
            f"{model_tar}: expected one DIETClassifier, found {len(diet)}"
        )
    weights = read_checkpoint(
        rasa_venv, diet[0] / "DIETClassifier.tf_model", workdir / "weights.npz"
    )

    def number(path: Path) -> int:
        return int(re.sub(r"\D", "", path.name) or 0)

    vocabularies = [
        json.loads((p / "vocabularies.json").read_text())
        for p in sorted(components.glob("train_CountVectorsFeaturizer*"), key=number)
    ]
    lexical = [
        json.loads((p / "feature_to_idx_dict.json").read_text())
        for p in components.glob("train_LexicalSyntacticFeaturizer*")
    ]
    sizes = json.loads(
        (diet[0] / "DIETClassifier.sparse_feature_sizes.json").read_text()
    )
    return {
        "weights": weights,
        "vocabularies": vocabularies,
        "lexical": lexical[0] if lexical else {},
        "sizes": sizes,
    }


def _vocab_order(
    ours: Sequence[str], theirs: Mapping[str, int], what: str
) -> np.ndarray:
    """For each of our columns, Rasa's column of the same vocabulary entry."""
    missing = [t for t in ours if t not in theirs]
    if missing or len(ours) != len(theirs):
        raise Unsupported(
            f"{what}: vocabularies differ ({len(ours)} vs {len(theirs)} "
            f"entries; ours not in Rasa's: {missing[:5]})"
        )
    return np.asarray([theirs[t] for t in ours], dtype=np.int64)


def _lexical_order(
    index: Mapping, theirs: Mapping[str, Mapping[str, int]]
) -> np.ndarray:
    """Our lexical-syntactic columns ({(position, feature): {value: col}}) -> Rasa's."""
    order = np.full(sum(len(table) for table in index.values()), -1, dtype=np.int64)
    for (position, feature), table in index.items():
        rasa = theirs.get(f"{position}###{feature}")
        if rasa is None:
            raise Unsupported(
                f"lexical feature {position}###{feature} not in Rasa's model"
            )
        for value, column in table.items():
            order[column] = rasa[str(value)]
    return order


def feature_columns(pipeline: object, exported: dict) -> tuple[np.ndarray, np.ndarray]:
    """Rasa's sequence and sentence column for each of our feature columns."""
    seq_parts, sent_parts = [], []
    seq_offset = sent_offset = 0
    vocabularies = iter(exported["vocabularies"])
    for featurizer in pipeline.featurizers:
        kind = type(featurizer).__name__
        if kind == "RegexFeaturizer":
            if featurizer.patterns:
                raise Unsupported("regex features are not mapped by this check")
            continue
        if kind == "LexicalSyntacticFeaturizer":
            part = _lexical_order(featurizer.index, exported["lexical"])
            seq_parts.append(seq_offset + part)
            seq_offset += len(part)
        elif kind == "CountVectorsFeaturizer":
            theirs = next(vocabularies)["text"]
            part = _vocab_order(list(featurizer.vocabulary), theirs, kind)
            seq_parts.append(seq_offset + part)
            sent_parts.append(sent_offset + part)
            seq_offset += len(part)
            sent_offset += len(part)
        else:
            raise Unsupported(f"featurizer {kind} is not mapped by this check")
    return np.concatenate(seq_parts), np.concatenate(sent_parts)


def label_rows(intent_names: Sequence[str], exported: dict) -> np.ndarray:
    """Rasa's label-feature column of each of our intents (its word-vectorised name)."""
    theirs = exported["vocabularies"][0].get("intent") or {}
    rows = []
    for name in intent_names:
        words = re.findall(r"\w+", name.lower())
        if len(words) != 1 or words[0] not in theirs:
            raise Unsupported(
                f"intent {name!r} is not one word of Rasa's intent "
                "vocabulary (Rasa gives it a bag of words as features)"
            )
        rows.append(theirs[words[0]])
    return np.asarray(rows, dtype=np.int64)


def _masked(weights: Mapping[str, np.ndarray], name: str) -> np.ndarray:
    mask = weights.get(f"{name}/kernel_mask")
    kernel = weights[f"{name}/kernel"]
    return kernel if mask is None else kernel * mask


def rasa_state_dict(
    state: Mapping[str, object],
    exported: dict,
    seq_cols: np.ndarray,
    sent_cols: np.ndarray,
    label_cols: np.ndarray,
) -> dict[str, np.ndarray]:
    """Our parameter name -> Rasa's value in our layout (kernels transposed, masks).

    Raises:
        Unsupported: the model has entity heads or other parts not mapped here.
    """
    w = exported["weights"]
    extra = [k for k in state if k.startswith(("entity", "heads", "mlm", "masked"))]
    if extra:
        raise Unsupported(f"only intent-only models are mapped (ours has {extra[0]})")
    out: dict[str, np.ndarray] = {
        "encoder.inputs.sequence.bag.weight": w[_SPARSE.format("sequence") + "kernel"][
            seq_cols
        ],
        "encoder.inputs.sequence.bias": w[_SPARSE.format("sequence") + "bias"],
        "encoder.inputs.sentence.bag.weight": w[_SPARSE.format("sentence") + "kernel"][
            sent_cols
        ],
        "encoder.inputs.sentence.bias": w[_SPARSE.format("sentence") + "bias"],
        "encoder.transformer.project.weight": _masked(w, _TRANSFORMER + "_embedding").T,
        "encoder.transformer.project.mask": w[
            _TRANSFORMER + "_embedding/kernel_mask"
        ].T,
        "encoder.transformer.project.bias": w[_TRANSFORMER + "_embedding/bias"],
        "encoder.transformer.ln_final.weight": w[_TRANSFORMER + "_layer_norm/gamma"],
        "encoder.transformer.ln_final.bias": w[_TRANSFORMER + "_layer_norm/beta"],
        "intent.embed_text.weight": w["embed..text/_dense/kernel"].T,
        "intent.embed_text.bias": w["embed..text/_dense/bias"],
        "intent.labels.project.bag.weight": w[_LABEL + "kernel"][label_cols],
        "intent.labels.project.bias": w[_LABEL + "bias"],
        "intent.labels.embed.weight": w["embed..label/_dense/kernel"].T,
        "intent.labels.embed.bias": w["embed..label/_dense/bias"],
    }
    block = 0
    while f"{_TRANSFORMER}_enc_layers/{block}/_layer_norm/gamma" in w:
        theirs, ours = (
            f"{_TRANSFORMER}_enc_layers/{block}/",
            f"encoder.transformer.blocks.{block}.",
        )
        mha = theirs + "_mha/_{}_dense_layer"
        qkv = [mha.format(p) for p in ("query", "key", "value")]
        out.update(
            {
                ours + "ln_attention.weight": w[theirs + "_layer_norm/gamma"],
                ours + "ln_attention.bias": w[theirs + "_layer_norm/beta"],
                ours + "attention.qkv.weight": np.concatenate(
                    [_masked(w, n).T for n in qkv]
                ),
                ours + "attention.qkv.mask": np.concatenate(
                    [w[n + "/kernel_mask"].T for n in qkv]
                ),
                ours + "attention.out.weight": _masked(w, mha.format("output")).T,
                ours + "attention.out.mask": w[mha.format("output") + "/kernel_mask"].T,
                ours + "attention.out.bias": w[mha.format("output") + "/bias"],
                ours + "ln_ffn.weight": w[theirs + "_ffn_layers/0/gamma"],
                ours + "ln_ffn.bias": w[theirs + "_ffn_layers/0/beta"],
            }
        )
        for ours_name, index in (("ffn_in", 1), ("ffn_out", 3)):
            layer = f"{theirs}_ffn_layers/{index}"
            out[ours + ours_name + ".weight"] = _masked(w, layer).T
            out[ours + ours_name + ".mask"] = w[layer + "/kernel_mask"].T
            out[ours + ours_name + ".bias"] = w[layer + "/bias"]
        block += 1
    left = sorted(set(state) - set(out) - {"intent.labels.label_matrix"})
    if left:
        raise Unsupported(f"no Rasa weight for {left[:3]}")
    return out


def load_rasa_weights(model: object, values: Mapping[str, np.ndarray]) -> None:
    """Copy ``values`` into ``model`` (shapes checked; bool masks stay bool)."""
    import torch

    state = model.state_dict()
    for name, value in values.items():
        target = state[name]
        tensor = torch.from_numpy(np.ascontiguousarray(value)).to(target.dtype)
        if tuple(tensor.shape) != tuple(target.shape):
            raise Unsupported(
                f"{name}: Rasa's shape {tuple(tensor.shape)}, "
                f"ours {tuple(target.shape)}"
            )
        target.copy_(tensor)
    model.load_state_dict(state)


def gradient_check(
    rasa_venv: Path,
    model_tar: Path,
    train_file: Path,
    n: int,
    model: object,
    result: object,
    config: object,
    columns: tuple,
    workdir: Path,
    steps: int = 0,
    keras_epsilon: bool = False,
) -> tuple[dict, dict, dict[str, float]]:
    """One batch through both tools with the same weights, no dropout, same negatives.

    With ``steps`` > 0, instead ``steps`` whole training steps (batches of ``n`` in
    file order, Adam from a fresh state, Rasa's L2 rule, masks) on a copy of ``model``;
    ``keras_epsilon`` selects Keras' Adam update in our CPU Adam (what DIET trains
    with), else torch's (epsilon after the bias correction).

    Returns:
        (Rasa's loss and regularisation, ours, relative max difference of each
        parameter's prediction gradient: max |ours - Rasa's| / max |Rasa's|; after
        steps: of each parameter, max |ours - Rasa's| / max |Rasa's change|).
    """
    import copy

    import torch

    from workbench.nlu.diet import losses, trainer
    from workbench.nlu.diet.batching import FeatureArrays, collate
    from workbench.nlu.diet.layers import Dropout
    from workbench.nlu.diet.regularization import (
        regularization_loss,
        regularized_kernels,
    )
    from workbench.nlu.diet.sparse_input import SparseDropout

    rng = np.random.default_rng(0)
    k = config.number_of_negative_examples
    negatives = np.stack(
        [
            rng.integers(0, n, (n, k)),
            rng.integers(0, len(result.data.intent_names), (n, k)),
        ]
    )
    np.save(workdir / "negatives.npy", negatives)
    done = subprocess.run(
        [
            str(rasa_venv / "bin" / "python"),
            "-c",
            _GRADIENTS,
            str(model_tar),
            str(train_file),
            str(n),
            str(workdir / "negatives.npy"),
            str(workdir / "gradients"),
            str(steps),
        ],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise SystemExit(f"Rasa's gradient step failed:\n{done.stderr[-3000:]}")
    theirs = json.loads(done.stdout.strip().splitlines()[-1])
    grads = read_checkpoint(rasa_venv, workdir / "gradients", workdir / "grads.npz")
    exported = {"weights": grads}
    rasa_grads = rasa_state_dict(model.state_dict(), exported, *columns)
    if steps:
        model = copy.deepcopy(model)
        start = {k: v.clone() for k, v in model.state_dict().items()}
        for module in model.modules():
            if isinstance(module, (Dropout, SparseDropout)):
                module.rate = 0.0

    arrays = FeatureArrays.from_messages(
        result.data.messages,
        has_sentence=True,
        tags={},
        labels=np.asarray(result.data.intent_ids, dtype=np.int64),
    )
    original = losses.sample_negatives
    losses.sample_negatives = lambda labels, n_labels, k, generator=None: (
        torch.from_numpy(negatives[1]),
        torch.from_numpy(negatives[0]),
    )
    try:
        if steps:
            loop = trainer._Loop(model, config, arrays, torch.device("cpu"), False)
            loop.optimizer.keras = keras_epsilon  # CPU Adam: Keras' or torch's update
            for step in range(steps):
                loop.train_step(np.arange(step * n, (step + 1) * n))
            state = model.state_dict()
            diffs = {}
            for name, want in rasa_grads.items():  # Rasa's weights after the steps
                if not name.endswith("mask"):
                    moved = np.abs(want - start[name].numpy()).max()
                    diff = np.abs(state[name].numpy() - want).max()
                    diffs[name] = float(diff / max(moved, 1e-30))
            return theirs, {}, diffs
        model.eval()
        model.zero_grad()
        out = model(collate(arrays, np.arange(n)))
        loss = sum(out.losses.values())
        loss.backward()
    finally:
        losses.sample_negatives = original
    with torch.no_grad():
        reg = regularization_loss(
            regularized_kernels(model), config.regularization_constant
        )
    ours = {"loss": float(loss.detach()), "regularization": float(reg)}
    state = model.state_dict()
    diffs = {}
    for name, param in model.named_parameters():
        mine = param.grad.numpy()
        mask = state.get(name.removesuffix("weight") + "mask")
        if mask is not None and name.endswith("weight"):  # Rasa's are read masked
            mine = mine * mask.numpy()
        want = rasa_grads[name]
        diffs[name] = float(np.abs(mine - want).max() / max(np.abs(want).max(), 1e-30))
    return theirs, ours, diffs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rasa-venv", type=Path, required=True)
    parser.add_argument("--rasa-model", type=Path, required=True)
    parser.add_argument("--train", type=Path, required=True)
    parser.add_argument("--test", type=Path, required=True)
    parser.add_argument(
        "--gradients",
        type=int,
        default=0,
        metavar="N",
        help="also compare the loss and every prediction gradient "
        "of the first N training examples (dropout off, the same "
        "negatives in both tools)",
    )
    parser.add_argument(
        "--train-steps",
        type=int,
        default=0,
        metavar="K",
        help="with --gradients N: also run K training steps on batches of N "
        "(dropout off, same negatives, fresh Adam) in both tools and compare the "
        "weights, with torch's and with Keras' Adam epsilon",
    )
    args = parser.parse_args(argv)

    from bench_diet_step import load_examples

    from workbench.nlu.diet.builder import (
        build_model,
        label_matrix_from_data,
        spec_from_data,
    )
    from workbench.nlu.diet.config import DietConfig
    from workbench.nlu.evaluation import evaluate
    from workbench.nlu.pipeline import featurize_training_data
    from workbench.nlu.predictor_loader import model_from_parts

    train = load_examples(args.train)
    result = featurize_training_data(
        SimpleNamespace(
            examples=train, regexes=[], lookups=[], synonyms=[], config=None
        ),
        None,
    )
    config = DietConfig.from_rasa(DietConfig.rasa_default_pipeline().to_rasa())
    model = build_model(
        config, spec_from_data(result.data, config), label_matrix_from_data(result.data)
    )
    with tempfile.TemporaryDirectory(prefix="rasa-weights-") as tmp:
        try:
            exported = export_rasa_model(args.rasa_venv, args.rasa_model, Path(tmp))
            seq_cols, sent_cols = feature_columns(result.pipeline, exported)
            labels = label_rows(result.data.intent_names, exported)
            load_rasa_weights(
                model,
                rasa_state_dict(
                    model.state_dict(), exported, seq_cols, sent_cols, labels
                ),
            )
            if args.gradients:
                check = functools.partial(
                    gradient_check,
                    args.rasa_venv,
                    args.rasa_model,
                    args.train,
                    args.gradients,
                    model,
                    result,
                    config,
                    (seq_cols, sent_cols, labels),
                    Path(tmp),
                )
                theirs, ours, diffs = check()
                print(
                    f"loss of the first {args.gradients} examples: Rasa "
                    f"{theirs['loss']:.7f}, ours {ours['loss']:.7f}; regularisation "
                    f"Rasa {theirs['regularization']:.7f}, ours "
                    f"{ours['regularization']:.7f}"
                )
                worst = max(diffs, key=diffs.get)
                print(
                    f"prediction gradients of {len(diffs)} parameters: largest "
                    f"relative difference {diffs[worst]:.1e} ({worst})"
                )
                for keras in (False, True) if args.train_steps else ():
                    _, _, moved = check(steps=args.train_steps, keras_epsilon=keras)
                    worst = max(moved, key=moved.get)
                    placement = "Keras" if keras else "torch"
                    print(
                        f"after {args.train_steps} training steps, Adam epsilon "
                        f"placed as in {placement}: largest "
                        f"|ours - Rasa's| / Rasa's change {moved[worst]:.1e} "
                        f"({worst})"
                    )
        except Unsupported as error:
            print(f"cannot compare: {error}", file=sys.stderr)
            return 2
    nlu = model_from_parts(model.eval(), result.pipeline, config)
    for name, path in (("test", args.test), ("train", args.train)):
        report = evaluate(nlu, load_examples(path)).summary()
        print(
            f"{name}: intent accuracy {report['intent_accuracy']:.4f}, macro F1 "
            f"{report['intent_macro_f1']:.4f} with Rasa's weights in our model "
            f"({report['n_examples']} examples)"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
