"""The picture of the network: every layer with its input and output shapes.

Keras lays the model out as a Graphviz graph (``keras.utils.model_to_dot``); the graph is
rendered by ``graphviz-pure``, a self-contained port of Graphviz's ``dot`` installed from
PyPI with kmervae, so no system Graphviz is needed and the picture has the same bytes on
every machine. A system ``dot`` is used only where graphviz-pure is missing (an environment
built without it).
"""

from __future__ import annotations

import logging
import shutil
import sysconfig
from pathlib import Path

import keras

from kmervae.errors import KmervaeError
from kmervae.npyio import atomic_path
from kmervae.vae.model import KmerVAE, architecture_view

log = logging.getLogger(__name__)

#: renderers, in order of preference: the PyPI one first (same bytes everywhere)
RENDERERS = ("graphviz-pure", "dot")


def find_renderer() -> str | None:
    """Path of the first renderer found on PATH or beside this Python (a virtual
    environment's scripts folder is not always on PATH, e.g. in workflow jobs)."""
    scripts = sysconfig.get_path("scripts")
    for name in RENDERERS:
        found = shutil.which(name) or shutil.which(name, path=scripts)
        if found:
            return found
    return None


def draw_architecture(model: KmerVAE, path: str | Path, dpi: int = 60) -> Path:
    """Write the picture of ``model`` (PNG) to ``path``, atomically; a clear error when
    no renderer is installed or it fails."""
    path = Path(path)
    renderer = find_renderer()
    if renderer is None:
        raise KmervaeError(
            "no Graphviz renderer found to draw the network: install kmervae's pinned "
            "packages (pip install graphviz-pure) or a system Graphviz"
        )
    graph = keras.utils.model_to_dot(
        architecture_view(model),
        show_shapes=True,
        show_layer_names=True,
        expand_nested=True,
        dpi=dpi,
    )
    with atomic_path(path) as tmp:
        try:
            graph.write(str(tmp), prog=renderer, format="png")
        except Exception as err:  # pydot raises several kinds; all mean "not drawn"
            raise KmervaeError(f"{renderer} could not draw {path}: {err}") from err
    log.info("drew %s with %s", path, renderer)
    return path
