"""upstream_prw stays free of AWS: importing and using it loads neither auth nor botocore."""

from __future__ import annotations

import ast
import subprocess
import sys

from tests.cortex_exporter.support import ROOT, clean_env

FOREIGN = ("auth", "botocore", "boto3", "cortex_exporter")

PROBE = "\n".join(
    [
        "import sys",
        "import upstream_prw",
        'exporter = upstream_prw.new_exporter({"endpoint": "http://127.0.0.1:9/api/v1/write"})',
        "exporter.shutdown(timeout_millis=100)",
        f"foreign = {FOREIGN!r}",
        'print(sorted(m for m in sys.modules if m.split(".")[0] in foreign))',
    ]
)


def test_importing_and_building_upstream_loads_no_aws_module() -> None:
    done = subprocess.run(
        [sys.executable, "-c", PROBE],
        env=clean_env(),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert done.stdout.strip() == "[]", done.stdout + done.stderr


def test_no_upstream_source_file_imports_them() -> None:
    for path in sorted((ROOT / "upstream_prw").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                names = [node.module]
            for name in names:
                assert name.split(".")[0] not in FOREIGN, f"{path}: imports {name}"
