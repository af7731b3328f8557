"""YAML files with environment references: expansion, typing, escapes, and file errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from cortex_exporter import AuthSettings, ConfigError, load_config
from cortex_exporter.loading import (
    MAX_YAML_ALIASES,
    MAX_YAML_BYTES,
    MAX_YAML_DEPTH,
    expand_text,
    read_yaml,
)

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


def test_a_secret_from_a_variable_loses_its_trailing_newline(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("endpoint: http://h/w\nbearer_token: ${TOKEN}\n", encoding="utf-8")
    assert load_config(path, environ={"TOKEN": "tok-1\n"}).remote_write.bearer_token == "tok-1"
    path.write_text(
        "endpoint: http://h/w\nbasic_auth:\n  username: u\n  password: ${PASSWORD}\n",
        encoding="utf-8",
    )
    basic = load_config(path, environ={"PASSWORD": "\tpw-1\r\n"}).remote_write.basic_auth
    assert basic is not None
    assert basic.password == "pw-1"


def test_an_empty_variable_is_an_empty_string_an_empty_default_is_null() -> None:
    text = "a: ${E}\nb: ${E:-}\nc: ${U:-}\nd: x${E}\ne: ${E}${U:-}\nf: '${E}'\n"
    assert read_yaml(text, environ={"E": ""}) == {
        "a": "",
        "b": None,
        "c": None,
        "d": "x",
        "e": "",
        "f": "",
    }


def test_an_empty_token_variable_is_refused_rather_than_ignored(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("endpoint: http://h/w\nbearer_token: ${TOKEN}\n", encoding="utf-8")
    with pytest.raises(ConfigError) as raised:
        load_config(path, environ={"TOKEN": ""})
    assert str(raised.value) == "bearer_token: must not be empty"
    # An empty default asks for "no token" explicitly, as `bearer_token:` left empty does.
    path.write_text("endpoint: http://h/w\nbearer_token: ${TOKEN:-}\n", encoding="utf-8")
    assert load_config(path, environ={"TOKEN": ""}).remote_write.bearer_token is None


def _nested(depth: int) -> str:
    return "a: " + "[" * depth + "x" + "]" * depth + "\n"


def test_a_deeply_nested_document_is_refused_without_recursing(tmp_path: Path) -> None:
    message = "invalid YAML at line 1, column 67: nested more than 64 levels deep"
    with pytest.raises(ConfigError) as raised:
        read_yaml(_nested(10_000), environ={})
    assert str(raised.value) == message
    path = tmp_path / "deep.yaml"
    path.write_text(_nested(10_000), encoding="utf-8")
    with pytest.raises(ConfigError) as raised:
        load_config(path, environ={})
    assert str(raised.value) == f"{path}: {message}"
    blocks = "".join(f"{'  ' * level}k{level}:\n" for level in range(100))
    with pytest.raises(ConfigError) as raised:
        read_yaml(blocks, environ={})
    assert str(raised.value) == (
        "invalid YAML at line 65, column 129: nested more than 64 levels deep"
    )


def test_sixty_four_levels_are_read() -> None:
    data = read_yaml(_nested(MAX_YAML_DEPTH - 1), environ={})  # and the mapping around them
    depth = 0
    while not isinstance(data, str):
        data = data["a"] if isinstance(data, dict) else data[0]
        depth += 1
    assert (depth, data) == (MAX_YAML_DEPTH, "x")


def test_an_oversized_document_is_refused_before_parsing(tmp_path: Path) -> None:
    big = "# " + "x" * (2 * 1024 * 1024) + "\nendpoint: http://h/w\n"
    with pytest.raises(ConfigError) as raised:
        read_yaml(big, environ={})
    assert str(raised.value) == "YAML text larger than 256 KiB"
    path = tmp_path / "big.yaml"
    path.write_text(big, encoding="utf-8")
    with pytest.raises(ConfigError) as raised:
        load_config(path, environ={})
    assert str(raised.value) == f"cannot read config file {path}: larger than 256 KiB"


def test_the_size_limit_counts_utf8_bytes() -> None:
    head = "endpoint: http://h/w\n# "
    fits = head + "x" * (MAX_YAML_BYTES - len(head) - 1) + "\n"
    assert read_yaml(fits, environ={}) == {"endpoint": "http://h/w"}
    with pytest.raises(ConfigError, match=r"^YAML text larger than 256 KiB$"):
        read_yaml(fits + " ", environ={})
    wide = head + "é" * (MAX_YAML_BYTES // 2)  # fewer characters than the limit, more bytes
    assert len(wide) < MAX_YAML_BYTES
    with pytest.raises(ConfigError, match=r"^YAML text larger than 256 KiB$"):
        read_yaml(wide, environ={})


def test_too_many_aliases_are_refused() -> None:
    ok = "a: &a x\nb: [" + ", ".join(["*a"] * MAX_YAML_ALIASES) + "]\n"
    assert read_yaml(ok, environ={})["b"] == ["x"] * MAX_YAML_ALIASES
    chain = ["a0: &a0 {k: 1}"]
    chain += [f"a{i}: &a{i} {{<<: *a{i - 1}, k{i}: 1}}" for i in range(1, 5000)]
    with pytest.raises(ConfigError) as raised:
        read_yaml("\n".join(chain), environ={})
    assert str(raised.value) == "invalid YAML at line 102, column 18: more than 100 aliases"


def test_a_file_that_is_not_utf8_is_named(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes("endpoint: http://h/w\nnamespace: caf\u00e9\n".encode("latin-1"))
    with pytest.raises(ConfigError) as raised:
        load_config(path, environ={})
    assert str(raised.value) == f"cannot read config file {path}: not UTF-8 text (byte 35)"


def test_a_file_name_with_a_line_break_is_shown_escaped(tmp_path: Path) -> None:
    path = tmp_path / "a\nforged.yaml"
    with pytest.raises(ConfigError) as raised:
        load_config(path, environ={})
    shown = str(path).replace("\n", "\\n")
    assert str(raised.value) == f'cannot read config file "{shown}": No such file or directory'


def test_the_collectors_env_prefix_means_the_same() -> None:
    text = "a: ${env:N}\nb: ${env:MISSING:-fallback}\n"
    assert read_yaml(text, environ={"N": "3"}) == {"a": 3, "b": "fallback"}


def test_expansion_can_be_limited_to_some_blocks() -> None:
    text = "keep:\n  a: ${env:N}\nother:\n  b: ${env:UNSET}\n"
    assert read_yaml(text, environ={"N": "1"}, expand_under=["keep"]) == {
        "keep": {"a": 1},
        "other": {"b": "${env:UNSET}"},
    }
