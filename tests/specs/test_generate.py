"""Generation: a generator warning stops it; the Python 3.10 post-processing step."""

from __future__ import annotations

import datetime
import runpy
from pathlib import Path

import pytest

import speckit.__main__ as speckit_cli
import speckit.normalise as normalise_module
from speckit import paths
from speckit.generate import (
    Generation,
    GenerationError,
    _python310,
    generate_all,
    generate_one,
    generator_warnings,
)
from speckit.lock import Lock, SpecEntry, load_lock, sha256_of

LOCK = load_lock()

# finAPI's NotificationRule in small: the inline `params` map would be generated
# as class NotificationRuleParams, which is already a component's name.
CLASH = """
openapi: 3.0.1
info: {title: tiny, version: "1"}
paths:
  /rules:
    get:
      operationId: getRules
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema: {$ref: '#/components/schemas/NotificationRule'}
components:
  schemas:
    NotificationRuleParams:
      type: object
      properties:
        triggerEvent: {type: string}
    NotificationRule:
      type: object
      properties:
        params:
          type: object
          additionalProperties: {type: string}
"""

CLEAN = """
openapi: 3.0.1
info: {title: clean, version: "1"}
paths:
  /ping:
    get:
      operationId: ping
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema: {type: string}
"""

CLASH_WARNINGS = (
    "WARNING parsing GET /rules within default.",
    "Unable to process schema /components/schemas/NotificationRule:",
)

# What openapi-python-client 0.29.1 prints for CLASH without the rule (shortened).
CLASH_OUTPUT = """\
Generating out
Warning(s) encountered while generating. Client was generated, but some pieces may be missing
WARNING parsing GET /rules within default.

Cannot parse response for status code 200 (Could not find reference in parsed models or enums), response will be omitted from generated client

Unable to process schema /components/schemas/NotificationRule:

Attempted to generate duplicate models with name "NotificationRuleParams"

Failure to process schema has resulted in the removal of:
/components/schemas/NotificationRule

If you believe this was a mistake or this tool is missing a feature you need, please open an issue at https://github.com/openapi-generators/openapi-python-client/issues/new/choose
"""


def _entry(raw: Path, kind: str) -> SpecEntry:
    return SpecEntry(
        kind=kind,
        file=raw.name,
        title="tiny",
        version="1",
        sha256=sha256_of(raw),
        package="tiny_client",
        source="tests/specs/test_generate.py",
    )


def _write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def without_disambiguation(monkeypatch: pytest.MonkeyPatch) -> None:
    """Normalise with every rule except the one that resolves the name clash."""
    rules = tuple(
        rule
        for rule in normalise_module.RULES
        if rule is not normalise_module.disambiguate_inline_models
    )
    assert len(rules) == len(normalise_module.RULES) - 1
    monkeypatch.setattr(normalise_module, "RULES", rules)


# Counting warnings


def test_generator_warnings_counts_each_problem_once() -> None:
    """One line per problem block; the summary line alone counts only without blocks."""
    summary_only = (
        "Warning(s) encountered while generating. Client was generated, but some "
        "pieces may be missing\n"
    )

    assert generator_warnings(CLASH_OUTPUT) == list(CLASH_WARNINGS)
    assert generator_warnings(summary_only) == [summary_only.strip()]
    assert generator_warnings("Generating out\n") == []


# A warning stops generation


@pytest.mark.usefixtures("without_disambiguation")
def test_a_generator_warning_stops_generation(tmp_path: Path) -> None:
    """The unresolved NotificationRule clash raises GenerationError naming it."""
    raw = _write(tmp_path / "raw", "tiny.yaml", CLASH)
    scratch = tmp_path / "scratch"
    scratch.mkdir()

    with pytest.raises(GenerationError) as info:
        generate_one(_entry(raw, "webform"), LOCK, scratch, raw)

    message = str(info.value)
    assert info.value.warnings == CLASH_WARNINGS
    assert "warned on webform.normalised.json, 2 generator warning(s)" in message
    assert 'duplicate models with name "NotificationRuleParams"' in message
    assert not (scratch / "tiny_client" / "spec_info.py").exists()


def test_the_disambiguation_rule_removes_that_warning(tmp_path: Path) -> None:
    """With every rule the same fragment generates both models and no warning."""
    raw = _write(tmp_path / "raw", "tiny.yaml", CLASH)
    scratch = tmp_path / "scratch"
    scratch.mkdir()

    package = generate_one(_entry(raw, "webform"), LOCK, scratch, raw)

    models = sorted(p.name for p in (package / "models").glob("*.py"))
    assert "notification_rule.py" in models
    assert "notification_rule_params.py" in models
    assert "notification_rule_params_map.py" in models
    assert (package / "spec_info.py").is_file()


@pytest.mark.usefixtures("without_disambiguation")
def test_generate_all_reports_the_warnings_and_writes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One spec warns, one is clean: the error has the warnings; nothing is written."""
    raw_dir = tmp_path / "raw"
    specs_dir = tmp_path / "specs"
    clash = _write(raw_dir, "clash.yaml", CLASH)
    clean = _write(raw_dir, "clean.yaml", CLEAN)
    monkeypatch.setattr(paths, "raw_path", lambda name: raw_dir / name)
    monkeypatch.setattr(
        paths, "normalised_path", lambda kind: specs_dir / f"{kind}.normalised.json"
    )
    lock = Lock(
        generator_version=LOCK.generator_version,
        ruff_version=LOCK.ruff_version,
        specs={"access": _entry(clash, "access"), "webform": _entry(clean, "webform")},
    )
    dest = tmp_path / "generated"

    with pytest.raises(GenerationError) as info:
        generate_all(lock, dest)

    assert info.value.warnings == CLASH_WARNINGS
    assert "warned on access.normalised.json" in str(info.value)
    assert "webform.normalised.json" not in str(info.value)
    assert not dest.exists()
    assert not specs_dir.exists()


def test_cli_prints_the_count_of_warnings_seen(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`generate` prints how many warnings the generator gave, and exits 3 on any."""
    warnings = ("WARNING parsing GET /a within x.", "Unable to process schema /b:")

    def warn(lock: Lock) -> Generation:
        msg = "openapi-python-client warned"
        raise GenerationError(msg, warnings)

    monkeypatch.setattr(speckit_cli, "_materialise", lambda mirror: None)
    monkeypatch.setattr(speckit_cli, "generate_all", warn)

    code = speckit_cli.main(["generate"])

    captured = capsys.readouterr()
    assert code == 3
    assert "generate: 2 generator warning(s); generated/ unchanged" in captured.out
    assert "error: openapi-python-client warned" in captured.err


def test_cli_prints_zero_warnings_from_the_generation(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A clean generation prints the packages and the count from its result."""
    built = Generation(packages=[Path("generated/finapi_access")], warnings=())
    monkeypatch.setattr(speckit_cli, "_materialise", lambda mirror: None)
    monkeypatch.setattr(speckit_cli, "generate_all", lambda lock: built)
    monkeypatch.setattr(speckit_cli.stamp, "write_stamp", lambda: None)

    code = speckit_cli.main(["generate"])

    assert code == 0
    assert "generate: finapi_access written, 0 generator warnings" in (
        capsys.readouterr().out
    )


# The Python 3.10 post-processing step

MODEL = """\
from __future__ import annotations

import datetime


def parse_created_at(value: str) -> datetime.datetime:
    return datetime.datetime.fromisoformat(value)


def parse_mandate_date(value: str) -> datetime.date:
    return datetime.date.fromisoformat(value)
"""


def test_python310_parses_webform_date_times_with_isoparse(tmp_path: Path) -> None:
    """Date-times go through dateutil's isoparse, which reads a `+0000` zone as UTC."""
    finished = _python310(MODEL)
    module = _write(tmp_path, "model.py", finished)

    namespace = runpy.run_path(str(module))
    created = namespace["parse_created_at"]("2022-06-24T10:00:00.000+0000")

    assert "datetime.datetime.fromisoformat(" not in finished
    assert finished.startswith(
        "from __future__ import annotations\n\nfrom dateutil.parser import isoparse\n"
    )
    assert created == datetime.datetime(2022, 6, 24, 10, tzinfo=datetime.timezone.utc)
    assert created.utcoffset() == datetime.timedelta(0)
    assert "datetime.date.fromisoformat(value)" in finished
    assert namespace["parse_mandate_date"]("2022-06-24") == datetime.date(2022, 6, 24)


def test_python310_imports_isoparse_without_a_future_import() -> None:
    """A module without `from __future__` still gets the isoparse import, first."""
    source = "import datetime\n\nx = datetime.datetime.fromisoformat('2022-06-24')\n"

    finished = _python310(source)

    assert finished.startswith("from dateutil.parser import isoparse\n")
    assert "x = isoparse('2022-06-24')" in finished


def test_python310_takes_self_from_typing_extensions() -> None:
    """`typing.Self` (3.11+) is imported from typing_extensions, other names stay."""
    source = "from typing import Any, Self, TypeVar\n\nfrom typing import Self\n"

    finished = _python310(source)

    assert finished == (
        "from typing import Any, TypeVar\nfrom typing_extensions import Self\n\n"
        "from typing_extensions import Self\n"
    )


def test_python310_leaves_other_modules_alone() -> None:
    """A module with neither construct comes back unchanged."""
    source = "from __future__ import annotations\n\nfrom typing import Any\n"

    assert _python310(source) == source
