"""Site scoping is implemented once (issue 2): a static check over app/ keeps it that way.

Rules (each violation is reported as ``file:line``):

1. Access decisions on a caller's site live in ``app/core/scoping.py``: no other module reads a principal's
   ``site_id`` or compares a role with ``Role.clinic`` (except to record who acted, in an audit ``record(``).
2. SQL is built only in data-access modules (``repository.py``, ``queries.py``, ``sql.py``, core repository
   and scoping): no ``select(``, raw ``SELECT`` text, ``session.get(`` or ``session.query(`` elsewhere.
3. In those modules every ``select(`` of a site-owned model (one with a ``site_id`` column, or ``Site``) goes
   through ``scope(…)`` in the same expression, or is inside a method of a ``ScopedRepository`` subclass that
   starts from ``self.select()``, or is a listed exception with its reason.
4. Every repository class (``*Repository`` in a data-access module) derives from ``ScopedRepository`` or
   calls ``scope(``; one that does neither must be listed and touch no site-owned model.

The exceptions are listed below with the reason; a new one needs a reason too.
"""

import ast
from dataclasses import dataclass
from pathlib import Path

from app.config import PROJECT_ROOT
from app.models import Base

APP = PROJECT_ROOT / "app"
DATA_ACCESS = frozenset({"repository.py", "queries.py", "sql.py"})
CORE = frozenset({"app/core/repository.py", "app/core/scoping.py"})

# Rule 1: reading a principal's site to *record* who acted, or to define the principal itself
# (by file, or by "file:function").
PRINCIPAL_SITE_ALLOWED = {
    "app/auth/principal.py": "defines the principal and the role rights",
    "app/audit/service.py": "records the actor's site on each audit event",
    "app/api_keys/schemas.py": "validates that clinic keys name a site (not an access decision)",
}
AUDIT_RECORDERS = frozenset({"record", "AuditEvent"})
# Rule 2: SQL outside data-access modules.
SQL_ALLOWED = {
    "app/auth/principal.py": "resolves the API key itself: there is no caller to scope to yet",
    "app/bootstrap.py": "CLI bootstrap, before any key exists",
    "app/demo/loader.py": "demo data loader, runs as the system",
    "app/demo/run.py": "demo runner, runs as the system",
}
# Rule 3: unscoped selects of site-owned models inside data-access modules, by "file:function".
UNSCOPED_SELECT_ALLOWED = {
    "app/consent/repository.py:excluded_patient_ids": "a subquery that only narrows an already scoped query",
    "app/audit/repository.py:chain_breaks": "hash-chain verification over the whole trail (admin/system)",
    "app/audit/repository.py:count": "hash-chain verification over the whole trail (admin/system)",
}
# Rule 4: repositories the system uses on its own behalf (workers): never imported by a router.
SYSTEM_REPOSITORIES = {
    "RunStateRepository": "the analysis worker updates the runs it executes, by id; there is no caller",
}
# Rule 4: repositories that are not site-scoped: none of these may touch a site-owned model.
UNSCOPED_REPOSITORIES = {
    "InstrumentRepository": "instrument definitions are shared reference data, not site data",
    "IdempotencyRepository": "rows are keyed by the calling API key, never read across keys",
}

SITE_OWNED = frozenset(
    mapper.class_.__name__
    for mapper in Base.registry.mappers
    if "site_id" in mapper.columns or mapper.class_.__tablename__ == "sites"
)


@dataclass(frozen=True)
class Module:
    rel: str
    tree: ast.Module

    @property
    def data_access(self) -> bool:
        return self.rel in CORE or Path(self.rel).name in DATA_ACCESS


def modules() -> list[Module]:
    found = []
    for path in sorted(APP.rglob("*.py")):
        rel = path.relative_to(PROJECT_ROOT).as_posix()
        found.append(Module(rel, ast.parse(path.read_text(encoding="utf-8"), filename=rel)))
    return found


def _parents(tree: ast.AST) -> dict[ast.AST, ast.AST]:
    return {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}


def _call_name(node: ast.Call) -> str:
    func = node.func
    return func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""


def _names(node: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}


def _enclosing(
    node: ast.AST, parents: dict[ast.AST, ast.AST], kind: type | tuple[type, ...]
) -> ast.AST | None:
    while node in parents:
        node = parents[node]
        if isinstance(node, kind):
            return node
    return None


def _model_name(node: ast.expr) -> str:
    """``Patient`` for ``Patient`` or ``Patient.id``; empty otherwise."""
    if isinstance(node, ast.Attribute):
        node = node.value
    return node.id if isinstance(node, ast.Name) else ""


def _is_principal(node: ast.AST) -> bool:
    return (isinstance(node, ast.Name) and node.id == "principal") or (
        isinstance(node, ast.Attribute) and node.attr == "principal"
    )


def test_rule_1_site_access_decisions_live_in_scoping() -> None:
    violations = []
    for module in modules():
        if module.rel == "app/core/scoping.py" or module.rel in PRINCIPAL_SITE_ALLOWED:
            continue
        parents = _parents(module.tree)
        for node in ast.walk(module.tree):
            call = _enclosing(node, parents, ast.Call)
            if call is not None and _call_name(call) in AUDIT_RECORDERS:  # type: ignore[arg-type]
                continue
            function = _enclosing(node, parents, (ast.FunctionDef, ast.AsyncFunctionDef))
            if f"{module.rel}:{getattr(function, 'name', '')}" in PRINCIPAL_SITE_ALLOWED:
                continue
            if isinstance(node, ast.Attribute) and node.attr == "site_id" and _is_principal(node.value):
                violations.append(f"{module.rel}:{node.lineno} reads the principal's site_id")
            if isinstance(node, ast.Attribute) and node.attr == "clinic" and _names(node) == {"Role"}:
                violations.append(f"{module.rel}:{node.lineno} decides on Role.clinic")
    assert not violations, "use app.core.scoping (scope, check_site_access, default_site):\n" + "\n".join(
        violations
    )


def test_rule_2_sql_only_in_data_access_modules() -> None:
    violations = []
    for module in modules():
        if module.data_access or module.rel in SQL_ALLOWED or module.rel.startswith("app/models/"):
            continue
        for node in ast.walk(module.tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "select":
                violations.append(f"{module.rel}:{node.lineno} select(")
            if isinstance(node, ast.Call) and _call_name(node) in {"get", "query"}:
                owner = node.func.value if isinstance(node.func, ast.Attribute) else None
                if isinstance(owner, ast.Name | ast.Attribute) and "session" in ast.unparse(owner):
                    violations.append(f"{module.rel}:{node.lineno} {ast.unparse(node.func)}(")
            if isinstance(node, ast.Call) and _call_name(node) == "text" and node.args:
                literal = node.args[0]
                if isinstance(literal, ast.Constant) and "SELECT" in str(literal.value).upper():
                    violations.append(f"{module.rel}:{node.lineno} raw SELECT")
    assert not violations, "move queries into a repository (site-scoped):\n" + "\n".join(violations)


def test_rule_3_selects_of_site_owned_models_are_scoped() -> None:
    violations = []
    for module in modules():
        if not module.data_access or module.rel in CORE:
            continue
        parents = _parents(module.tree)
        for node in ast.walk(module.tree):
            if not (
                isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "select"
            ):
                continue
            selected = {_model_name(a) for a in node.args} - {""}
            if not selected & SITE_OWNED:
                continue
            function = _enclosing(node, parents, (ast.FunctionDef, ast.AsyncFunctionDef))
            where = f"{module.rel}:{getattr(function, 'name', '<module>')}"
            owner = _enclosing(node, parents, ast.ClassDef)
            if where in UNSCOPED_SELECT_ALLOWED or getattr(owner, "name", None) in SYSTEM_REPOSITORIES:
                continue
            outer: ast.AST = node
            scoped = False
            while outer in parents and not isinstance(outer, ast.stmt):
                outer = parents[outer]
                if isinstance(outer, ast.Call) and _call_name(outer) == "scope":
                    scoped = True
            if not scoped:
                violations.append(
                    f"{module.rel}:{node.lineno} select({', '.join(sorted(selected))}) without scope()"
                )
    assert not violations, "\n".join(violations)


def test_rule_4_repositories_derive_from_scoped_repository() -> None:
    violations = []
    for module in modules():
        if not module.data_access or module.rel in CORE:
            continue
        for node in ast.walk(module.tree):
            if not isinstance(node, ast.ClassDef) or not node.name.endswith("Repository"):
                continue
            bases = {ast.unparse(b).split("[")[0] for b in node.bases}
            calls = {_call_name(c) for c in ast.walk(node) if isinstance(c, ast.Call)}
            if "ScopedRepository" in bases or "scope" in calls or node.name in SYSTEM_REPOSITORIES:
                continue
            if node.name not in UNSCOPED_REPOSITORIES:
                violations.append(
                    f"{module.rel}:{node.lineno} {node.name} does not derive from ScopedRepository"
                )
            elif touched := _names(node) & SITE_OWNED:
                violations.append(
                    f"{module.rel}:{node.lineno} unscoped {node.name} touches {sorted(touched)}"
                )
    assert not violations, "\n".join(violations)


def test_system_repositories_are_not_used_by_endpoints() -> None:
    violations = [
        f"{module.rel}:{node.lineno} imports {alias.name}"
        for module in modules()
        if module.rel.endswith("router.py")
        for node in ast.walk(module.tree)
        if isinstance(node, ast.ImportFrom)
        for alias in node.names
        if alias.name in SYSTEM_REPOSITORIES
    ]
    assert not violations, violations


def test_the_rules_see_the_code_base() -> None:
    """Guards against a vacuous pass (a path or parsing change that makes the rules look at nothing)."""
    found = modules()
    assert len(found) > 30
    assert {"Patient", "Dyad", "CaseManager", "Site", "ConsentEvent"} <= SITE_OWNED
    assert sum(m.data_access for m in found) >= 8
    for allowed in (*PRINCIPAL_SITE_ALLOWED, *SQL_ALLOWED, *UNSCOPED_SELECT_ALLOWED):
        assert (PROJECT_ROOT / allowed.split(":")[0]).exists(), f"stale exception: {allowed}"
