"""DietConfig: DIET hyper-parameters under Rasa's own key names.

Defaults are those of Rasa 3.x ``DIETClassifier.get_default_config`` (the component
defaults). Rasa's shipped default pipeline (``default_config.yml``, used when a project
has no pipeline) overrides two of them; see :meth:`DietConfig.rasa_default_pipeline`.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

# Sane limits (far above any real DIET; Rasa's defaults: 256 wide, 2 layers). They keep
# a typo or an edited model folder from allocating gigabytes or looping for hours.
MAX_WIDTH = 8192  # transformer_size, embedding/dense/concat dimensions, hidden sizes
MAX_HIDDEN_LAYERS = 16
MAX_BATCH_SIZE = 1_000_000
LIMITS: dict[str, tuple[int, int]] = {
    "epochs": (1, 1_000_000),
    "number_of_transformer_layers": (0, 24),
    "transformer_size": (1, MAX_WIDTH),
    "number_of_attention_heads": (1, 1024),
    "max_relative_position": (1, 4096),
    "embedding_dimension": (1, MAX_WIDTH),
    "number_of_negative_examples": (1, 100_000),
    "ranking_length": (0, 1_000_000),
    "evaluate_on_number_of_examples": (0, 100_000_000),
}

@dataclass(frozen=True)
class DietConfig:
    """DIET hyper-parameters; every field is a Rasa ``DIETClassifier`` key.

    Build one from a Rasa config entry with :meth:`from_rasa` (validates values). Derive
    variants with ``dataclasses.replace``; never mutate.
    """

    # --- architecture ---------------------------------------------------------------
    # Dense GELU layers applied per position before the transformer (text) and after
    # bag-of-words pooling (label); empty = none.
    hidden_layers_sizes: Mapping[str, tuple[int, ...]] = field(
        default_factory=lambda: {"text": (), "label": ()}
    )
    # share text/label hidden layers (same sizes needed)
    share_hidden_layers: bool = False
    transformer_size: int = 256  # model width H; transformer FFN inner size is 4H
    number_of_transformer_layers: int = 2  # 0 disables the transformer
    number_of_attention_heads: int = 4  # H must be divisible by it
    # relative-position term on attention logits
    use_key_relative_attention: bool = False
    # relative-position term on attention outputs
    use_value_relative_attention: bool = False
    max_relative_position: int = 5  # clip distance of relative embeddings
    unidirectional_encoder: bool = False  # causal (look-ahead) masking
    embedding_dimension: int = 20  # size E of the shared intent/label space (and tags)
    # Width of the sparse->dense projection per attribute.
    dense_dimension: Mapping[str, int] = field(
        default_factory=lambda: {"text": 128, "label": 20}
    )
    # Width both feature types are projected to when sequence/sentence widths differ.
    concat_dimension: Mapping[str, int] = field(
        default_factory=lambda: {"text": 128, "label": 20}
    )
    # kept fraction of weights in randomly connected layers
    connection_density: float = 0.2
    # --- loss / similarity ------------------------------------------------------------
    number_of_negative_examples: int = 20  # K negatives per example (labels and inputs)
    similarity_type: str = "auto"  # auto -> inner for cross_entropy, cosine for margin
    loss_type: str = "cross_entropy"  # or "margin" ("softmax" is the legacy name of CE)
    ranking_length: int = 10  # intents reported in the ranking (0 = all)
    maximum_positive_similarity: float = 0.8  # mu+ of the margin loss
    maximum_negative_similarity: float = -0.4  # mu- of the margin loss
    # margin: only the hardest negative label
    use_maximum_negative_similarity: bool = True
    scale_loss: bool = False  # focal-style down-weighting of easy examples
    regularization_constant: float = 0.002  # L2 factor on the regularised kernels
    negative_margin_scale: float = 0.8  # weight of the extra negative margin terms
    constrain_similarities: bool = False  # CE: sigmoid loss on all terms, 1+2K softmax
    model_confidence: str = "softmax"  # "softmax"; "linear_norm" (old configs); "auto"
    # renormalise the top ranking_length confidences
    renormalize_confidences: bool = False
    # --- regularisation ---------------------------------------------------------------
    drop_rate: float = 0.2  # dropout of inputs, FFNs and the transformer
    drop_rate_attention: float = 0.0  # drop whole attention links before the softmax
    use_sparse_input_dropout: bool = True  # drop stored non-zeros of sparse text inputs
    use_dense_input_dropout: bool = True  # dropout after the sparse->dense projection
    # --- training ---------------------------------------------------------------------
    epochs: int = 300  # Rasa component default; the default pipeline uses 100
    # linear increase over epochs; (b, b) = constant
    batch_size: tuple[int, int] = (64, 256)
    batch_strategy: str = "balanced"  # or "sequence" (plain shuffling)
    learning_rate: float = 0.001  # Adam, constant
    random_seed: int | None = None  # None -> the caller's seed
    # validation frequency; -1 = at the end only
    evaluate_every_number_of_epochs: int = 20
    # stratified hold-out size; 0 = no validation
    evaluate_on_number_of_examples: int = 0
    checkpoint_model: bool = False  # keep the best validation weights
    drop_small_last_batch: bool = False  # drop a last batch smaller than ceil(bs/2)
    # --- tasks / misc -----------------------------------------------------------------
    intent_classification: bool = True  # train and predict intents
    entity_recognition: bool = True  # train and predict entities (off if data has none)
    use_masked_language_model: bool = False  # MLM auxiliary loss (needs a transformer)
    BILOU_flag: bool = True  # BILOU tagging (else IO tags)  # noqa: N815 (Rasa's name)
    # restrict to these featurizer aliases (empty = all)
    featurizers: tuple[str, ...] = ()
    # Entity post-processing (§4.11): split a predicted entity where two of its tokens
    # are 2-3 characters apart (", ", ". "); bool or per entity type. Unset (None):
    # Rasa's true, except for entity types whose training annotations span such a gap
    # ("Star Light, Star Bright"), which would otherwise never be predicted whole; the
    # resolved mapping is stored with the model.
    split_entities_by_comma: bool | Mapping[str, bool] | None = None
    # Messages about unknown or deprecated keys found by from_rasa (not a setting).
    warnings: tuple[str, ...] = field(default=(), compare=False, repr=False)

    # ---------------------------------------------------------------------------------
    @classmethod
    def rasa_default_pipeline(cls) -> DietConfig:
        """Return the DIET settings of Rasa's shipped default pipeline.

        ``default_config.yml`` (used by ``rasa init`` and when a project configures no
        pipeline) sets ``epochs: 100`` and ``constrain_similarities: true``.
        """
        return cls(epochs=100, constrain_similarities=True)

    @classmethod
    def from_rasa(cls, mapping: Mapping[str, Any] | None) -> DietConfig:
        """Build a config from a Rasa ``DIETClassifier`` pipeline entry.

        Args:
            mapping: The entry as plain data (``name`` is allowed and ignored).

        Returns:
            The validated config; unknown or deprecated keys are described in its
            ``warnings`` tuple.

        Raises:
            ValueError: A value has the wrong type or is out of range; the message names
                the key and says what is allowed.
        """
        from workbench.nlu.diet.config_parsing import parse_rasa_mapping

        values, warnings = parse_rasa_mapping(mapping or {}, cls)
        config = cls(**values, warnings=tuple(warnings))
        config.validate()
        return config

    def to_rasa(self) -> dict[str, Any]:
        """Return the settings as plain JSON-able data with Rasa's key names."""
        out: dict[str, Any] = {}
        for f in dataclasses.fields(self):
            if f.name == "warnings":
                continue
            value = getattr(self, f.name)
            if isinstance(value, Mapping):
                value = {k: list(v) if isinstance(v, tuple) else v
                         for k, v in value.items()}
            elif isinstance(value, tuple):
                value = list(value)
            out[f.name] = value
        return out

    # ---------------------------------------------------------------------------------
    @property
    def similarity(self) -> str:
        """The effective similarity ("inner" or "cosine") after resolving "auto"."""
        if self.similarity_type != "auto":
            return self.similarity_type
        return "cosine" if self.loss_type == "margin" else "inner"

    @property
    def uses_margin_loss(self) -> bool:
        """True for ``loss_type: margin``."""
        return self.loss_type == "margin"

    def batch_size_for_epoch(self, epoch: int) -> int:
        """Return Rasa's linearly increasing batch size for a 0-based epoch."""
        b0, b1 = self.batch_size
        if self.epochs <= 1:
            return b0
        return int(b0 + epoch * (b1 - b0) / (self.epochs - 1))

    def validate(self) -> None:
        """Check value ranges and combinations.

        Raises:
            ValueError: naming the offending key.
        """
        for key, (low, high) in LIMITS.items():
            _check_range(self, key, low, high)
        if self.number_of_transformer_layers > 0:
            _check(self.transformer_size % self.number_of_attention_heads == 0,
                   "number_of_attention_heads",
                   f"must divide transformer_size ({self.transformer_size})")
        _check(0.0 <= self.connection_density <= 1.0, "connection_density",
               "must be between 0 and 1")
        _check(self.similarity_type in ("auto", "inner", "cosine"), "similarity_type",
               "must be one of auto, inner, cosine")
        _check(self.loss_type in ("cross_entropy", "margin"), "loss_type",
               "must be cross_entropy or margin")
        _check(self.model_confidence in ("softmax", "linear_norm", "auto"),
               "model_confidence", "must be softmax (or linear_norm for old configs)")
        _check(not self.renormalize_confidences or self.model_confidence == "softmax",
               "renormalize_confidences", "only works with model_confidence: softmax")
        for key in ("drop_rate", "drop_rate_attention"):
            _check(0.0 <= getattr(self, key) < 1.0, key, "must be in [0, 1)")
        _check(self.regularization_constant >= 0, "regularization_constant",
               "must be 0 or more")
        _check(self.learning_rate > 0 and math.isfinite(self.learning_rate),
               "learning_rate", "must be a positive number")
        b0, b1 = self.batch_size
        _check(1 <= b0 <= MAX_BATCH_SIZE and 1 <= b1 <= MAX_BATCH_SIZE, "batch_size",
               f"sizes must be between 1 and {MAX_BATCH_SIZE}")
        _check(self.batch_strategy in ("balanced", "sequence"), "batch_strategy",
               "must be balanced or sequence")
        _check(self.evaluate_every_number_of_epochs >= 1
               or self.evaluate_every_number_of_epochs == -1,
               "evaluate_every_number_of_epochs", "must be at least 1, or -1")
        _check(not (self.use_masked_language_model
                    and self.number_of_transformer_layers == 0),
               "use_masked_language_model", "needs number_of_transformer_layers > 0")
        _check(self.intent_classification or self.entity_recognition,
               "intent_classification", "intent_classification and entity_recognition "
               "cannot both be false")
        for attr in ("text", "label"):
            for key in ("dense_dimension", "concat_dimension"):
                _check(1 <= getattr(self, key)[attr] <= MAX_WIDTH, key,
                       f"must be between 1 and {MAX_WIDTH}")
            sizes = self.hidden_layers_sizes[attr]
            _check(len(sizes) <= MAX_HIDDEN_LAYERS, "hidden_layers_sizes",
                   f"allows at most {MAX_HIDDEN_LAYERS} layers")
            _check(all(1 <= s <= MAX_WIDTH for s in sizes), "hidden_layers_sizes",
                   f"sizes must be between 1 and {MAX_WIDTH}")
        if self.share_hidden_layers:
            _check(tuple(self.hidden_layers_sizes["text"])
                   == tuple(self.hidden_layers_sizes["label"]), "share_hidden_layers",
                   "needs identical hidden_layers_sizes for text and label")


def _check(ok: bool, key: str, what: str) -> None:
    if not ok:
        raise ValueError(f"DIETClassifier option '{key}' {what}.")


def _check_range(config: DietConfig, key: str, low: int, high: int) -> None:
    value = getattr(config, key)
    if not low <= value <= high:
        raise ValueError(f"DIETClassifier option '{key}' = {value} is out of range "
                         f"{low}..{high}.")
