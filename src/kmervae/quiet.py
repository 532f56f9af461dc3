"""TensorFlow without its start-up noise.

TensorFlow's C++ core writes a dozen lines to the terminal when it starts (CUDA drivers not
found, CPU instructions, oneDNN) that say nothing to a user and fill every log of a
workflow job. :func:`quiet_tensorflow` sets TensorFlow's own log level and imports it with
the process's standard error (file descriptor 2, where C++ writes) captured; whatever it
wrote that is not one of those known start-up lines is passed on, so a real problem still
shows. ``kmervae --verbose`` skips all this and shows TensorFlow's messages as they are.
"""

from __future__ import annotations

import os
import re
import sys
import tempfile

#: lines TensorFlow writes when it starts on a machine without a GPU or with one
STARTUP_NOISE = re.compile(
    r"All log messages before absl::InitializeLog"
    r"|cudart_stub\.cc|cuda_platform\.cc|cuda_executor\.cc|cuda_diagnostics\.cc"
    r"|cpu_feature_guard\.cc|To enable the following instructions"
    r"|oneDNN custom operations|TF_ENABLE_ONEDNN_OPTS"
    r"|Unable to register cu(DNN|FFT|BLAS) factory|computation_placer\.cc"
    r"|failed call to cuInit"
)


def quiet_tensorflow() -> None:
    """Import TensorFlow (and Keras) with its start-up lines dropped; later C++ messages
    below errors are not printed (``TF_CPP_MIN_LOG_LEVEL=3``, unless the user set it)."""
    if "tensorflow" in sys.modules:
        return
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as captured:
        os.dup2(captured.fileno(), 2)
        try:
            import keras  # noqa: F401  (imports TensorFlow, its backend)
        finally:
            # also when the import fails: what TensorFlow said may be why
            os.dup2(saved, 2)
            os.close(saved)
            captured.seek(0)
            text = captured.read().decode("utf-8", errors="replace")
            kept = [line for line in text.splitlines() if not STARTUP_NOISE.search(line)]
            if any(kept):
                print("\n".join(kept), file=sys.stderr)
