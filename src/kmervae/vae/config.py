"""Every setting of the VAE and its training, with its default, in one dataclass.

This module imports no TensorFlow, so the workflow can validate its configuration
cheaply. The defaults give about 10 M parameters; the project's first outline, a larger
network, is ``encoder_widths=((4096, 2048), (64, 32), (16, 8))``,
``shared_widths=(1024, 512)``.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kmervae.errors import KmervaeError
from kmervae.features.layout import KMER_SIZES

RECONSTRUCTION_LOSSES = ("sum", "group_balanced")
LENGTH_WEIGHTINGS = ("none", "log", "linear")
KMER_TRANSFORMS = ("clr", "none")
#: keys added after models were first saved, with the value that describes how a model
#: saved without the key was trained (its default then); used when loading a model
KEYS_ADDED_LATER = {"length_weighting": "none"}
#: the settings that decide which contigs have substring views and where they lie
#: (:meth:`VAEConfig.view_spec`, :meth:`VAEConfig.contigs_per_sample`), also the options
#: of ``kmervae views``
VIEW_SETTINGS = (
    "max_train_contigs",
    "length_weight_cap",
    "views_per_contig",
    "view_min_fraction",
    "view_max_fraction",
    "view_min_length",
    "seed",
)


#: what a value of a setting must be, by the type of its default
_EXPECTED = {
    bool: ((bool,), "true or false"),
    int: ((int,), "a whole number"),
    float: ((int, float), "a number"),
    str: ((str,), "a word"),
    tuple: ((list, tuple), "a list"),
}


def _check_type(name: str, value: Any, default: Any) -> None:
    """A clear error for a value of the wrong type (a YAML `"40"` is a string, and a
    comparison with it would fail deep in the checks with a TypeError)."""
    types, what = _EXPECTED[type(default)]
    if isinstance(value, bool) and bool not in types:
        types = ()  # True is an int to Python, not a number of epochs
    if not isinstance(value, types):
        raise KmervaeError(
            f"invalid VAE configuration: {name} must be {what}, got {value!r} "
            f"({type(value).__name__})"
        )


@dataclass(frozen=True)
class VAEConfig:
    """Architecture, loss and training settings. Field docs are the help texts of the
    options of ``kmervae train`` (:mod:`kmervae.commands.options`)."""

    # --- architecture -------------------------------------------------------------
    encoder_widths: tuple[tuple[int, ...], ...] = ((512, 128), (128, 64), (64, 32))
    """Dense widths of each encoder branch, one tuple per k-mer group in layout order
    (7-mers, 4-mers, 3-mers); the decoder branches use them reversed."""
    shared_widths: tuple[int, ...] = (512,)
    """Dense widths after the concatenation of the branches (decoder: reversed)."""
    latent_dim: int = 256
    """Size of the latent space z."""
    hierarchical_latent: bool = False
    """Split z into parts for 7-mers, 4-mers, 3-mers and shared: each k-mer part comes
    from its own encoder branch and feeds only its own decoder branch; the shared part
    feeds all."""
    hierarchical_split: tuple[int, ...] = (4, 2, 1, 1)
    """Relative sizes of the 7-mer, 4-mer, 3-mer and shared latent parts."""
    negative_slope: float = 0.3
    """Slope of LeakyReLU for negative inputs."""
    input_dropout: float = 0.3
    """Dropout rate on the encoder input, for a denoising VAE (0 = off)."""
    # --- input transform ----------------------------------------------------------
    kmer_transform: str = dataclasses.field(default="none", metadata={"choices": KMER_TRANSFORMS})
    """Transform of k-mer frequencies before standardisation: clr or none."""
    pseudocount: float = 0.5
    """CLR pseudocount in k-mer *count* units (divided by the contig's window count)."""
    # --- loss ---------------------------------------------------------------------
    loss: str = dataclasses.field(default="sum", metadata={"choices": RECONSTRUCTION_LOSSES})
    """Reconstruction loss: sum (squared error summed over features) or group_balanced
    (mean of the per-group MSEs of 7-mers, 4-mers, 3-mers and GC, times 8,361)."""
    length_weighting: str = dataclasses.field(
        default="linear", metadata={"choices": LENGTH_WEIGHTINGS}
    )
    """Weight of each contig in the reconstruction loss: none, log (log of the length, as
    VAMB) or linear (the length up to length_weight_cap); weights are normalised per
    batch, so the loss keeps its scale."""
    length_weight_cap: int = 10000
    """Length (bp) above which linear length weighting stops growing."""
    cosine_weight: float = 0.0
    """Weight of an extra (1 - cosine similarity) reconstruction term (0 = off)."""
    contrastive_weight: float = 100.0
    """Weight of the contrastive term: InfoNCE between the embedding of a contig and of a
    random substring view of it, other contigs of the batch as negatives (0 = off, a plain
    VAE as in the seed)."""
    contrastive_temperature: float = 0.5
    """Temperature of the InfoNCE cosine similarities."""
    contrastive_skip_nearest: int = 0
    """Negatives left out of the contrastive term: for each contig, this many other
    contigs of its batch whose standardised tetranucleotide frequencies are nearest to
    its own (by cosine), as likely of the same genome (0 = every other contig is a
    negative)."""
    contrastive_debias: float = 0.0
    """Expected share of a contig's batch negatives that are of its own genome: the
    contrastive term takes their expected part out of its negatives (the debiased
    contrastive loss of Chuang et al. 2020; 0 = plain InfoNCE)."""
    views_per_contig: int = 4
    """Substring views counted per training contig (one is drawn per contig and epoch)."""
    view_min_fraction: float = 0.05
    """Shortest view, as a fraction of its contig's length (but at least
    ``view_min_length``): short views look like the sample's short contigs."""
    view_max_fraction: float = 0.4
    """Longest view, as a fraction of its contig's length (0.3 and 0.8 until
    2026-12-05: 5 more near-complete held-out genomes with 0.05 and 0.4)."""
    view_min_length: int = 1000
    """Views are at least this long (bp), or the whole contig if it is shorter."""
    cannot_link_weight: float = 0.0
    """Weight of the marker cannot-link term: every batch also embeds groups of training
    contigs that carry the same single-copy marker gene (so almost surely come from
    different genomes), and the cosine similarity of two of them above
    cannot_link_margin is penalised (0 = off; > 0 needs the samples' marker tables)."""
    cannot_link_margin: float = 0.5
    """Cosine similarity above which two contigs of one marker are pushed apart."""
    partner_share: float = 0.0
    """Self-training: share of the contrastive term's positives that are the view of
    another training contig of the contig's bin from an earlier round, instead of a view
    of its own (bins of marker-estimated quality high or medium only; 0 = off; > 0
    needs those bins: kmervae train --bins, --bin-summaries, --index)."""
    beta: float = 1.0
    """Weight of the KL term (beta-VAE)."""
    kl_warmup_epochs: int = 0
    """Raise the KL weight linearly from 0 to beta over this many epochs (0 = off)."""
    # --- training -----------------------------------------------------------------
    max_train_contigs: int = 25000
    """Training budget: at most this many contigs in all train the model (0 = all), an
    equal share per training sample, drawn seeded with a probability that grows with the
    contig's length up to length_weight_cap; every contig is still embedded. Above every
    benchmark sample, so their models are unchanged (BENCHMARKS.md, "Real-size samples")."""
    epochs: int = 40
    """Number of epochs (more overfit the 7-mer noise; BENCHMARKS.md)."""
    batch_size: int = 256
    """Contigs per training batch."""
    learning_rate: float = 1e-3
    """Initial Adam learning rate."""
    seed: int = 42
    """Seed of the validation split, shuffling, initialisation, sampling and the spans of
    the substring views."""
    val_fraction: float = 0.1
    """Fraction of contigs held out for validation (seeded split)."""
    reduce_lr: bool = True
    """Lower the learning rate (times lr_factor) when val_loss stops improving."""
    lr_factor: float = 0.5
    """Factor of ReduceLROnPlateau."""
    lr_patience: int = 10
    """Patience (epochs) of ReduceLROnPlateau."""
    min_lr: float = 1e-6
    """Lower bound of the learning rate."""
    early_stopping_patience: int = 20
    """Stop when val_loss has not improved for this many epochs (0 = off)."""
    deterministic: bool = True
    """Enable TensorFlow op determinism (bit-identical results for the same seed)."""
    loader_workers: int = 1
    """Threads reading batches from the feature matrices."""

    def __post_init__(self):
        object.__setattr__(
            self, "encoder_widths", tuple(tuple(int(w) for w in b) for b in self.encoder_widths)
        )
        object.__setattr__(self, "shared_widths", tuple(int(w) for w in self.shared_widths))
        object.__setattr__(
            self, "hierarchical_split", tuple(int(w) for w in self.hierarchical_split)
        )
        self.validate()

    # ------------------------------------------------------------------------------
    def validate(self) -> None:
        def bad(msg):
            raise KmervaeError(f"invalid VAE configuration: {msg}")

        if len(self.encoder_widths) != len(KMER_SIZES):
            bad(
                f"encoder_widths needs one tuple per k-mer group {KMER_SIZES}, "
                f"got {len(self.encoder_widths)}"
            )
        for b in self.encoder_widths:
            if not b or any(w < 1 for w in b):
                bad(f"encoder_widths entries must be non-empty positive widths, got {b}")
        if any(w < 1 for w in self.shared_widths):
            bad(f"shared_widths must be positive, got {self.shared_widths}")
        if self.latent_dim < 1:
            bad("latent_dim must be >= 1")
        if len(self.hierarchical_split) != len(KMER_SIZES) + 1 or any(
            r < 1 for r in self.hierarchical_split
        ):
            bad("hierarchical_split needs 4 positive ratios (7-mer, 4-mer, 3-mer, shared)")
        if self.hierarchical_latent:
            self.latent_parts  # noqa: B018 (raises if a part would be empty)
        if self.loss not in RECONSTRUCTION_LOSSES:
            bad(f"loss must be one of {RECONSTRUCTION_LOSSES}, got {self.loss!r}")
        if self.length_weighting not in LENGTH_WEIGHTINGS:
            bad(
                f"length_weighting must be one of {LENGTH_WEIGHTINGS}, "
                f"got {self.length_weighting!r}"
            )
        if self.length_weight_cap < 1:
            bad("length_weight_cap must be >= 1")
        if self.kmer_transform not in KMER_TRANSFORMS:
            bad(f"kmer_transform must be one of {KMER_TRANSFORMS}, got {self.kmer_transform!r}")
        if self.kmer_transform == "clr" and not self.pseudocount > 0:
            bad("pseudocount must be > 0 for the clr transform")
        if not 0 <= self.input_dropout < 1:
            bad("input_dropout must be in [0, 1)")
        if not 0 <= self.val_fraction < 1:
            bad("val_fraction must be in [0, 1)")
        if self.epochs < 1 or self.batch_size < 1:
            bad("epochs and batch_size must be >= 1")
        if self.max_train_contigs < 0:
            bad("max_train_contigs must be >= 0 (0 = every contig)")
        if not self.learning_rate > 0 or self.beta < 0 or self.cosine_weight < 0:
            bad("learning_rate must be > 0; beta and cosine_weight >= 0")
        if self.kl_warmup_epochs < 0 or self.early_stopping_patience < 0:
            bad("kl_warmup_epochs and early_stopping_patience must be >= 0")
        if self.contrastive_weight < 0 or not self.contrastive_temperature > 0:
            bad("contrastive_weight must be >= 0 and contrastive_temperature > 0")
        if not 0 <= self.contrastive_debias < 1:
            bad("contrastive_debias must be in [0, 1)")
        if not 0 <= self.contrastive_skip_nearest < self.batch_size - 1:
            bad("contrastive_skip_nearest must be >= 0 and below batch_size - 1")
        if self.cannot_link_weight < 0 or not -1 <= self.cannot_link_margin < 1:
            bad("cannot_link_weight must be >= 0 and cannot_link_margin in [-1, 1)")
        if not 0 <= self.partner_share <= 1:
            bad("partner_share must be in [0, 1]")
        if self.partner_share > 0 and not self.uses_views:
            bad("partner_share > 0 needs the contrastive term (contrastive_weight > 0)")
        try:
            self.view_spec().check()
        except ValueError as err:
            bad(str(err))
        if self.loader_workers < 1:
            bad("loader_workers must be >= 1")

    @property
    def uses_markers(self) -> bool:
        """Whether training needs the marker tables of its samples."""
        return self.cannot_link_weight > 0

    @property
    def uses_partners(self) -> bool:
        """Whether training needs the bins of an earlier round (self-training)."""
        return self.partner_share > 0

    @property
    def uses_views(self) -> bool:
        """Whether training needs the substring views of its contigs."""
        return self.contrastive_weight > 0

    def contigs_per_sample(self, n_samples: int) -> int:
        """The most contigs one of ``n_samples`` training samples contributes (0 = all):
        an equal share of max_train_contigs, rounded up."""
        if self.max_train_contigs <= 0:
            return 0
        return -(-self.max_train_contigs // max(1, n_samples))

    def view_spec(self):
        """The :class:`kmervae.features.views.ViewSpec` of these settings."""
        from kmervae.features.views import ViewSpec

        return ViewSpec(
            self.views_per_contig,
            self.view_min_fraction,
            self.view_max_fraction,
            self.view_min_length,
            self.seed,
        )

    @property
    def latent_parts(self) -> tuple[int, ...]:
        """Sizes of the 7-mer, 4-mer, 3-mer and shared latent parts (hierarchical only)."""
        total = sum(self.hierarchical_split)
        parts = [self.latent_dim * r // total for r in self.hierarchical_split]
        parts[-1] += self.latent_dim - sum(parts)
        if min(parts) < 1:
            raise KmervaeError(f"latent_dim {self.latent_dim} too small for the split")
        return tuple(parts)

    def to_dict(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        d["encoder_widths"] = [list(b) for b in self.encoder_widths]
        d["shared_widths"] = list(self.shared_widths)
        d["hierarchical_split"] = list(self.hierarchical_split)
        return d

    @classmethod
    def keys(cls) -> list[str]:
        return [f.name for f in dataclasses.fields(cls)]

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> VAEConfig:
        unknown = sorted(set(data) - set(cls.keys()))
        if unknown:
            raise KmervaeError(
                f"unknown VAE configuration key(s) {unknown}; valid keys: {cls.keys()}"
            )
        for field in dataclasses.fields(cls):
            if field.name in data:
                _check_type(field.name, data[field.name], field.default)
        return cls(**data)

    @classmethod
    def from_file(cls, path: str | Path, **overrides) -> VAEConfig:
        """Read a JSON or YAML mapping of config keys; ``overrides`` win."""
        path = Path(path)
        try:
            text = path.read_text()
        except OSError as err:
            raise KmervaeError(f"file {path}: cannot read config: {err}") from err
        try:
            if path.suffix.lower() in (".yaml", ".yml"):
                import yaml

                data = yaml.safe_load(text) or {}
            else:
                data = json.loads(text)
        except Exception as err:
            raise KmervaeError(f"file {path}: cannot parse config: {err}") from err
        if not isinstance(data, dict):
            raise KmervaeError(f"file {path}: config must be a mapping of keys to values")
        data.update(overrides)
        return cls.from_dict(data)
