"""Draw the network of a trained model as a picture: every layer with its input and output
shapes, the three encoder branches side by side.

Rendered by graphviz-pure (installed with kmervae from PyPI; no system Graphviz needed).

example:
  kmervae architecture results/model/vae.keras -o results/model/architecture.png
"""

from __future__ import annotations

from pathlib import Path


def add_arguments(parser) -> None:
    parser.add_argument("model", type=Path, help="trained model (.keras)")
    parser.add_argument("-o", "--output", type=Path, required=True, help="picture (.png)")


def run(args) -> int:
    from kmervae.vae.architecture import draw_architecture
    from kmervae.vae.model import load_vae

    model = load_vae(args.model)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    draw_architecture(model, args.output)
    return 0
