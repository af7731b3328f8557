"""`load_collector_config`: real Collector files, read as ours, with nothing dropped silently."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

import cortex_exporter
from cortex_exporter.collector import read_collector_config
from cortex_exporter.config import AssumeRoleSettings
from cortex_exporter.factory import new_exporter
from upstream_prw.errors import ConfigError

FIXTURES = Path(__file__).parent / "collector"
ADOT = FIXTURES / "adot-amp.yaml"
NAMED = FIXTURES / "named.yaml"
HTTP_BLOCK = FIXTURES / "http-block.yaml"
AMP_ENV = {"AMP_REGION": "eu-west-1", "AMP_WORKSPACE": "ws-0123abcd"}


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "otelcol.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_adot_amp_guide_config(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        config = cortex_exporter.load_collector_config(ADOT)
    assert config.endpoint == (
        "https://aps-workspaces.us-west-2.amazonaws.com/workspaces/"
        "ws-a1b2c3d4-5678-90ab-cdef-111122223333/api/v1/remote_write"
    )
    auth = config.aws_auth
    assert (auth.enabled, auth.region, auth.service, auth.assume_role) == (
        True,
        "us-west-2",
        "aps",
        None,
    )
    # Nothing in it lacks a meaning here: no warning at all.
    assert caplog.records == []
    # The Collector's defaults are ours.
    assert (
        config.remote_write
        == cortex_exporter.Config.from_mapping({"endpoint": config.endpoint}).remote_write
    )


def test_the_adot_config_builds_an_exporter_that_signs() -> None:
    exporter = new_exporter(cortex_exporter.load_collector_config(ADOT))
    try:
        assert exporter is not None
    finally:
        exporter.shutdown()


def test_a_named_exporter_and_extension_with_env_references(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING):
        config = cortex_exporter.load_collector_config(
            NAMED, "prometheusremotewrite/amp", environ=AMP_ENV
        )
    settings = config.remote_write
    assert settings.endpoint == (
        "https://aps-workspaces.eu-west-1.amazonaws.com/workspaces/ws-0123abcd/api/v1/remote_write"
    )
    assert (settings.timeout, settings.namespace) == (10.0, "shop")
    assert dict(settings.external_labels) == {"cluster": "dev"}  # ${CLUSTER:-dev}
    assert settings.resource_to_telemetry_conversion.enabled
    assert not settings.target_info.enabled
    assert (settings.translation_strategy, settings.send_metadata) == (
        "UnderscoreEscapingWithoutSuffixes",
        True,
    )
    assert settings.max_batch_size_bytes == 2_000_000
    queue = settings.remote_write_queue
    assert (queue.enabled, queue.queue_size, queue.num_consumers) == (True, 2000, 3)
    retry = settings.retry_on_failure
    assert (retry.initial_interval, retry.max_interval, retry.max_elapsed_time) == (1, 10, 120)
    assert config.aws_auth.region == "eu-west-1"
    assert config.aws_auth.assume_role == AssumeRoleSettings(
        arn="arn:aws:iam::123456789012:role/amp-writer",
        session_name="collector",
        sts_region="us-east-1",
    )
    # One warning names every key not used, with its full path; snappy and a disabled
    # export_created_metric are what we do anyway, so they are not in it.
    (record,) = caplog.records
    message = record.getMessage()
    assert record.levelno == logging.WARNING
    for key in ("wal", "sending_queue", "max_batch_request_parallelism"):
        assert f"exporters.prometheusremotewrite/amp.{key} (" in message
    assert "compression" not in message and "export_created_metric" not in message


def test_other_components_may_name_variables_we_do_not_have() -> None:
    # MY_POD_IP (a receiver) and GRAFANA_* (another exporter's extension) are unset.
    config = cortex_exporter.load_collector_config(
        NAMED, "prometheusremotewrite/amp", environ=AMP_ENV
    )
    assert config.aws_auth.enabled


def test_an_unset_variable_in_the_exporter_names_its_key() -> None:
    with pytest.raises(ConfigError) as caught:
        cortex_exporter.load_collector_config(
            NAMED, "prometheusremotewrite/amp", environ={"AMP_REGION": "eu-west-1"}
        )
    assert str(caught.value).startswith(
        "exporters.prometheusremotewrite/amp.endpoint: environment variable AMP_WORKSPACE"
    )


def test_the_http_block_wins_and_the_ignored_keys_are_named(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING):
        read = read_collector_config(HTTP_BLOCK)
        cortex_exporter.load_collector_config(HTTP_BLOCK)
    settings = read.config.remote_write
    assert settings.endpoint == "https://prometheus.example.com/api/v1/write"
    assert (settings.timeout, settings.proxy_url) == (7.0, "http://proxy.internal:3128")
    assert dict(settings.headers) == {"X-Team": "payments"}
    assert settings.tls.ca_file == "/etc/ssl/internal-ca.pem"
    assert not read.config.aws_auth.enabled
    assert read.unused == (
        "exporters.prometheus_remote_write.http.tls.min_version (not used in-process)",
        "exporters.prometheus_remote_write.http.write_buffer_size (not used in-process)",
        "exporters.prometheus_remote_write.endpoint (http is set, so the Collector ignores it)",
    )
    assert read.origins["endpoint"] == "exporters.prometheus_remote_write.http.endpoint"
    (record,) = caplog.records
    assert "; ".join(read.unused) in record.getMessage()


def test_the_default_name_finds_the_only_remote_write_exporter() -> None:
    # http-block.yaml names its exporter by the new type name, prometheus_remote_write.
    assert read_collector_config(HTTP_BLOCK, "prometheusremotewrite").config.endpoint


def test_two_exporters_need_a_name() -> None:
    with pytest.raises(ConfigError) as caught:
        cortex_exporter.load_collector_config(NAMED, environ=AMP_ENV)
    assert str(caught.value) == (
        "exporters.prometheusremotewrite: no such exporter; remote-write exporters in this "
        "file: prometheusremotewrite/amp, prometheusremotewrite/mimir"
    )


def test_another_authenticator_is_refused_by_name() -> None:
    with pytest.raises(ConfigError) as caught:
        cortex_exporter.load_collector_config(NAMED, "prometheusremotewrite/mimir")
    assert str(caught.value).startswith(
        'exporters.prometheusremotewrite/mimir.auth.authenticator: "basicauth/grafana" is '
        "not supported here, only sigv4auth"
    )


CASES = {
    "missing extension": (
        "exporters:\n  prometheusremotewrite:\n    endpoint: https://h/w\n"
        "    auth: {authenticator: sigv4auth}\n",
        "extensions.sigv4auth: not defined, but "
        "exporters.prometheusremotewrite.auth.authenticator names it",
    ),
    "bad region": (
        "extensions:\n  sigv4auth: {region: US-EAST-1}\n"
        "exporters:\n  prometheusremotewrite:\n    endpoint: https://h/w\n"
        "    auth: {authenticator: sigv4auth}\n",
        'extensions.sigv4auth.region: "US-EAST-1" is not an AWS region code; '
        "use lower case, e.g. us-east-1",
    ),
    "bad role": (
        "extensions:\n  sigv4auth: {assume_role: {arn: nope}}\n"
        "exporters:\n  prometheusremotewrite:\n    endpoint: https://h/w\n"
        "    auth: {authenticator: sigv4auth}\n",
        "extensions.sigv4auth.assume_role.arn: expected an IAM role ARN like "
        'arn:aws:iam::123456789012:role/name, got "nope"',
    ),
    "web identity": (
        "extensions:\n  sigv4auth: {assume_role_with_web_identity: {arn: x}}\n"
        "exporters:\n  prometheusremotewrite:\n    endpoint: https://h/w\n"
        "    auth: {authenticator: sigv4auth}\n",
        "extensions.sigv4auth.assume_role_with_web_identity: not supported here; "
        "use AWS_ROLE_ARN and AWS_WEB_IDENTITY_TOKEN_FILE",
    ),
    "compression": (
        "exporters:\n  prometheusremotewrite:\n    endpoint: https://h/w\n    compression: gzip\n",
        "exporters.prometheusremotewrite.compression: compression type must be snappy",
    ),
    "bad retry": (
        "exporters:\n  prometheusremotewrite:\n    endpoint: https://h/w\n"
        "    retry_on_failure: {multipler: 2}\n",
        "exporters.prometheusremotewrite.retry_on_failure.multipler: unknown key; "
        'did you mean "multiplier"?',
    ),
    "no endpoint": (
        "exporters:\n  prometheusremotewrite:\n",
        "exporters.prometheusremotewrite.endpoint: required key is missing",
    ),
    "sigv4 and an authorization header": (
        "extensions:\n  sigv4auth:\n"
        "exporters:\n  prometheusremotewrite:\n    endpoint: https://h/w\n"
        "    headers: {Authorization: x}\n    auth: {authenticator: sigv4auth}\n",
        "exporters.prometheusremotewrite.auth.authenticator: cannot be combined with "
        "headers.Authorization; SigV4 sets Authorization",
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_each_bad_file_names_the_collector_key(case: str, tmp_path: Path) -> None:
    text, message = CASES[case]
    with pytest.raises(ConfigError) as caught:
        cortex_exporter.load_collector_config(_write(tmp_path, text))
    assert str(caught.value) == message


def test_pass_through_keys_reach_our_settings(tmp_path: Path) -> None:
    # Our settings decide about newer keys; whichever way, the key is ours, not dropped.
    path = _write(
        tmp_path,
        "exporters:\n  prometheusremotewrite:\n    endpoint: https://h/w\n"
        "    translation_strategy: UnderscoreEscapingWithSuffixes\n",
    )
    read = read_collector_config(path) if _accepted(path) else None
    if read is not None:
        assert read.unused == ()
    else:
        with pytest.raises(ConfigError) as caught:
            read_collector_config(path)
        assert caught.value.path == "exporters.prometheusremotewrite.translation_strategy"


def _accepted(path: Path) -> bool:
    try:
        read_collector_config(path)
    except ConfigError:
        return False
    return True


def test_the_collectors_translation_keys_load_as_ours(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = _write(
        tmp_path,
        """
exporters:
  prometheusremotewrite:
    endpoint: https://mimir.example/api/v1/push
    translation_strategy: UnderscoreEscapingWithoutSuffixes
    resource_constant_labels: {included: [cloud.region]}
    disable_scope_info: true
    convert_explicit_histograms_to_nhcb: true
    keep_classic_histograms: true
service:
  pipelines:
    metrics: {receivers: [otlp], exporters: [prometheusremotewrite]}
""",
    )
    with caplog.at_level(logging.WARNING):
        config = cortex_exporter.load_collector_config(path)
    translation = config.remote_write.translation_settings()
    assert not translation.add_metric_suffixes and not translation.add_scope_labels
    assert translation.promoted_resource_attributes == frozenset({"cloud.region"})
    assert translation.nhcb and translation.keep_classic_histograms
    assert caplog.records == []  # every key was used
