"""Draw the network of a trained model as a picture (keras.utils.plot_model, with shapes).

Needs graphviz's `dot` program (Debian: apt-get install graphviz; conda: graphviz).

example:
  kmervae architecture results/model/vae.keras -o results/model/architecture.png
"""

from __future__ import annotations

import shutil
from pathlib import Path

from kmervae.errors import KmervaeError


def add_arguments(parser) -> None:
    parser.add_argument("model", type=Path, help="trained model (.keras)")
    parser.add_argument("-o", "--output", type=Path, required=True, help="picture (.png)")


def run(args) -> int:
    if shutil.which("dot") is None:
        raise KmervaeError(
            "graphviz's 'dot' program is not installed; it draws the picture "
            "(apt-get install graphviz, or conda install graphviz)"
        )
    from kmervae.vae.model import load_vae
    from kmervae.vae.training import plot_architecture

    if not args.model.exists():
        raise KmervaeError(f"file {args.model}: no such model")
    args.output.parent.mkdir(parents=True, exist_ok=True)
    if not plot_architecture(load_vae(args.model), args.output):
        raise KmervaeError(f"could not draw {args.output} (see the warning above)")
    return 0
