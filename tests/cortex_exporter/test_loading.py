"""YAML files with environment references: expansion, typing, escapes, and file errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from cortex_exporter import AuthSettings, ConfigError, load_config
from cortex_exporter.loading import expand_text, read_yaml

AMP_YAML = """\
endpoint: https://aps-workspaces.${AMP_REGION}.amazonaws.com/workspaces/${AMP_WORKSPACE}/api/v1/remote_write
external_labels:
  cluster: ${CLUSTER:-dev}
  note: "costs $$5, written $${literal}"
aws_auth:
  enabled: ${AMP_AUTH:-true}
  region: ${AMP_REGION}
"""


def test_a_file_with_references_and_defaults(tmp_path: Path) -> None:
    path = tmp_path / "amp.yaml"
    path.write_text(AMP_YAML, encoding="utf-8")
    env = {"AMP_REGION": "eu-central-1", "AMP_WORKSPACE": "ws-42"}
    config = load_config(path, environ=env)
    assert config.endpoint == (
        "https://aps-workspaces.eu-central-1.amazonaws.com/workspaces/ws-42/api/v1/remote_write"
    )
    assert dict(config.remote_write.external_labels) == {
        "cluster": "dev",
        "note": "costs $$5, written ${literal}",
    }
    assert config.aws_auth == AuthSettings(enabled=True, region="eu-central-1")


def test_the_process_environment_is_the_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("endpoint: ${RW_URL}\n", encoding="utf-8")
    monkeypatch.setenv("RW_URL", "http://127.0.0.1:9090/api/v1/write")
    assert load_config(str(path)).endpoint == "http://127.0.0.1:9090/api/v1/write"


def test_plain_values_are_typed_after_expansion_quoted_ones_are_not() -> None:
    text = "a: ${N}\nb: '${N}'\nc: ${T}\nd: ${EMPTY:-}\ne:\n  - ${N}\n  - x-${N}\n"
    env = {"N": "12", "T": "false"}
    expected = {"a": 12, "b": "12", "c": False, "d": None, "e": [12, "x-12"]}
    assert read_yaml(text, environ=env) == expected


def test_a_default_applies_to_unset_and_empty_variables() -> None:
    assert expand_text("${A:-x}/${B:-y}/${C}", "p", {"B": "", "C": ""}) == "x/y/"


def test_an_expanded_value_is_not_expanded_again() -> None:
    assert read_yaml("a: ${A}\n", environ={"A": "${B}"}) == {"a": "${B}"}


def test_aliases_are_expanded_once() -> None:
    text = "a: &x {k: '${V}'}\nb: *x\n"
    assert read_yaml(text, environ={"V": "${V}"}) == {"a": {"k": "${V}"}, "b": {"k": "${V}"}}


def test_errors_in_lists_name_the_index() -> None:
    with pytest.raises(ConfigError, match=r"^e\[1\]: environment variable MISSING is not set"):
        read_yaml("e: [ok, '${MISSING}']\n", environ={})


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    missing = tmp_path / "nope.yaml"
    with pytest.raises(ConfigError) as raised:
        load_config(missing)
    assert str(raised.value) == f"cannot read config file {missing}: No such file or directory"


def test_invalid_yaml_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("endpoint: http://h/w\n  aws_auth: x\n", encoding="utf-8")
    with pytest.raises(ConfigError) as raised:
        load_config(path)
    assert str(raised.value) == (
        f"{path}: invalid YAML at line 2, column 11: mapping values are not allowed here"
    )
