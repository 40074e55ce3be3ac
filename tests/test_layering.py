"""DESIGN's boundaries: no sandbox in production code, no Slack in services, no capability in the kernel."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_production_code_never_imports_the_sandbox():
    offenders = [
        str(path.relative_to(ROOT))
        for package in ("bot", "handlers", "scheduler")
        for path in (ROOT / package).rglob("*.py")
        if any(name == "sandbox" or name.startswith("sandbox.") for name in _imports(path))
    ]
    assert offenders == []


def test_services_never_import_slack():
    offenders = [
        str(path.relative_to(ROOT))
        for path in (ROOT / "handlers").rglob("service.py")
        if any(name.startswith(("slack_bolt", "slack_sdk")) for name in _imports(path))
    ]
    assert offenders == []


def _importing(packages: tuple[str, ...], prefixes: tuple[str, ...]) -> list[str]:
    return [
        str(path.relative_to(ROOT))
        for package in packages
        for path in (ROOT / package).rglob("*.py")
        if any(name == prefix or name.startswith(prefix + ".") for name in _imports(path) for prefix in prefixes)
    ]


def test_the_kernel_names_no_capability():
    # bot/ and scheduler/ know capabilities only through bot.capability.Capability; the composition root
    # (opsbot/) is the one place that imports them.
    assert _importing(("bot", "scheduler"), ("handlers", "opsbot")) == []


def test_capabilities_do_not_reach_for_the_composition_root():
    assert _importing(("handlers",), ("opsbot",)) == []
