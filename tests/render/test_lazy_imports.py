"""Importing the renderers and the FP5xx rules stays light: no SDKs, and deepdiff/rich/jsonschema only on use."""

from __future__ import annotations

import subprocess
import sys


def test_render_and_cost_rules_import_no_heavy_modules() -> None:
    code = (
        "import sys\n"
        "import fineplan.render.human, fineplan.render.markdown, fineplan.render.plan_json\n"
        "import fineplan.render.progress, fineplan.lint.rules.cost\n"
        "heavy = ('openai', 'azure', 'deepdiff', 'rich', 'jsonschema')\n"
        "print(sorted({m.split('.')[0] for m in sys.modules if m.startswith(heavy)}))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
