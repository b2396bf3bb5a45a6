"""Rules of the codebase that review alone would let slip, checked over every module.

- Tenant filters are written only in the scoping helpers: a `X.tenant_id == value` anywhere else is
  a second, unreviewed way to decide what a caller reaches. (Joins that match two tables'
  `tenant_id` columns are not filters and are allowed.)
"""

from __future__ import annotations

import ast
from pathlib import Path

from consumo.config import BACKEND_DIR

PACKAGE = BACKEND_DIR / "consumo"
GENERATED = {"api_models.py"}
# module (relative to consumo/) → the functions in it that may write a tenant filter
SCOPING_HELPERS = {
    "consumptions/service.py": {"_visible_to"},
    "meters/service.py": {"readable_meters"},
    "meters/children.py": {"on_meter"},
    "kpis/service.py": {"_budgets_of"},
    "accounts/service.py": {"tenant_members", "_refresh_token_named"},
    "imports/service.py": {"readable_imports", "of_import"},
    "team/service.py": {"tenant_invitations", "_invitation_named"},
    "audit/service.py": {"tenant_events"},
    "apitokens/service.py": {"_tokens_of"},
    "webhooks/service.py": {"_endpoints_of", "_deliveries_of"},
    "webhooks/events.py": {"_endpoints_of"},
    "alerts/marks.py": {"owner_as_caller"},  # a job's caller: the owner whose data changed, in its tenant
}


def _is_tenant_column(node: ast.expr) -> bool:
    """`Model.tenant_id`: a mapped class's column (a value's `caller.tenant_id` is not one)."""
    return (
        isinstance(node, ast.Attribute)
        and node.attr == "tenant_id"
        and isinstance(node.value, ast.Name)
        and node.value.id[:1].isupper()
    )


def _tenant_filters(path: Path) -> list[tuple[str, int]]:
    """(enclosing function, line) of every `<x>.tenant_id == <not a tenant_id column>`."""
    found: list[tuple[str, int]] = []

    def visit(node: ast.AST, function: str) -> None:
        for child in ast.iter_child_nodes(node):
            name = child.name if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)) else function
            if isinstance(child, ast.Compare) and len(child.ops) == 1 and isinstance(child.ops[0], ast.Eq):
                left, right = child.left, child.comparators[0]
                if _is_tenant_column(left) != _is_tenant_column(right):  # a column against a value
                    found.append((function, child.lineno))
            visit(child, name)

    visit(ast.parse(path.read_text()), "<module>")
    return found


def test_tenant_filters_appear_only_in_the_scoping_helpers():
    strays = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path.name in GENERATED:
            continue
        module = path.relative_to(PACKAGE).as_posix()
        allowed = SCOPING_HELPERS.get(module, set())
        strays += [
            f"{module}:{line} in {function}()" for function, line in _tenant_filters(path) if function not in allowed
        ]
    assert strays == [], "tenant filters outside the scoping helpers:\n" + "\n".join(strays)


def test_the_rule_sees_a_stray_filter(tmp_path):
    stray = tmp_path / "stray.py"
    stray.write_text("def list_things(caller):\n    return select(Thing).where(Thing.tenant_id == caller.tenant_id)\n")
    joined = tmp_path / "joined.py"
    joined.write_text("def join():\n    return and_(Record.tenant_id == Reading.tenant_id, Record.id == x)\n")
    assert _tenant_filters(stray) == [("list_things", 2)]
    assert _tenant_filters(joined) == []


def test_every_named_scoping_helper_exists():
    for module, functions in SCOPING_HELPERS.items():
        tree = ast.parse((PACKAGE / module).read_text())
        defined = {node.name for node in ast.walk(tree) if isinstance(node, ast.FunctionDef)}
        assert functions <= defined, (module, functions - defined)


def _domain_modules() -> list[str]:
    """Every service and models module (and what they are built from: pricing, scoping, identity)."""
    names = {"service.py", "models.py", "pricing.py", "children.py"}
    modules = [path for path in PACKAGE.rglob("*.py") if path.name in names]
    dotted = [
        "consumo." + path.relative_to(PACKAGE).with_suffix("").as_posix().replace("/", ".") for path in sorted(modules)
    ]
    return [*dotted, "consumo.models_registry", "consumo.security.identity", "consumo.problems"]


def test_services_and_models_load_without_a_web_framework():
    """The domain runs without the web edge (a worker, a CLI, the migrations): importing every
    service and models module loads neither Flask nor Connexion."""
    import subprocess
    import sys

    modules = _domain_modules()
    assert len(modules) >= 15
    script = (
        "import sys\n"
        + "".join(f"import {name}\n" for name in modules)
        + "print(','.join(sorted(m for m in ('flask', 'connexion', 'werkzeug', 'starlette') if m in sys.modules)))"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=BACKEND_DIR,
        capture_output=True,
        text=True,
        env={**__import__("os").environ, "JWT_SECRET": "x" * 64},
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "", f"loaded by the domain: {done.stdout.strip()}"
