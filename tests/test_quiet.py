"""TensorFlow's start-up lines are dropped, anything else it writes is passed on.

A stand-in ``keras`` module writes to file descriptor 2 as TensorFlow's C++ core does, so
the filter is tested without TensorFlow (the real commands are checked in test_readme.py).
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from conftest import REPO

NOISE = (
    "WARNING: All log messages before absl::InitializeLog() is called are written to STDERR\n"
    "I0000 00:00:1795871668.363415    2999 cudart_stub.cc:31] Could not find cuda drivers on "
    "your machine, GPU will not be used.\n"
    "I0000 00:00:1795871668.453338    2999 cpu_feature_guard.cc:227] This TensorFlow binary "
    "is optimized to use available CPU instructions in performance-critical operations.\n"
    "To enable the following instructions: AVX2 FMA, in other operations, rebuild TensorFlow "
    "with the appropriate compiler flags.\n"
)


def run_with_stand_in(tmp_path, keras_source: str) -> subprocess.CompletedProcess:
    (tmp_path / "keras.py").write_text(keras_source)
    code = "from kmervae.quiet import quiet_tensorflow; quiet_tensorflow(); print('imported')"
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(tmp_path), str(REPO / "src")]))
    env.pop("TF_CPP_MIN_LOG_LEVEL", None)
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=tmp_path
    )


@pytest.mark.parametrize("fails", [False, True], ids=["imports", "import fails"])
def test_startup_lines_dropped_other_lines_kept(tmp_path, fails):
    written = NOISE + "E0000 real trouble: libfoo missing\n"
    source = f"import os\nos.write(2, {written!r}.encode())\n"
    if fails:
        source += "raise ImportError('no backend')\n"
    result = run_with_stand_in(tmp_path, source)
    assert "real trouble: libfoo missing" in result.stderr
    for marker in ("absl::InitializeLog", "cudart_stub", "cpu_feature_guard", "AVX2 FMA"):
        assert marker not in result.stderr, marker
    if fails:
        assert result.returncode != 0 and "ImportError: no backend" in result.stderr
    else:
        assert result.returncode == 0 and result.stdout == "imported\n"


def test_tensorflow_log_level_set_unless_the_user_set_it(tmp_path):
    source = "import os\nprint('level', os.environ.get('TF_CPP_MIN_LOG_LEVEL'))\n"
    assert "level 3" in run_with_stand_in(tmp_path, source).stdout
