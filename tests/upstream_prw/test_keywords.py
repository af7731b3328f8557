"""`PrometheusRemoteWriteExporter(endpoint=..., ...)`: every settings key is a keyword."""

from __future__ import annotations

import dataclasses

import pytest
import requests

from tests.upstream_prw.builders import counter, data, number
from tests.upstream_prw.receiver import Receiver
from upstream_prw import ConfigError, PrometheusRemoteWriteExporter, RemoteWriteSettings


def test_keywords_build_the_same_settings_as_a_mapping(receiver: Receiver) -> None:
    config = {
        "endpoint": receiver.url,
        "headers": {"X-Scope-OrgID": "team-a"},
        "timeout": "2s",
        "namespace": "shop",
        "external_labels": {"cluster": "eu-1"},
        "retry_on_failure": {"initial_interval": "10ms"},
        "remote_write_queue": {"num_consumers": 2, "queue_size": 50},
        "target_info": {"enabled": False},
    }
    exporter = PrometheusRemoteWriteExporter(**config)
    try:
        assert exporter.settings == RemoteWriteSettings.from_mapping(config)
        assert exporter.settings.timeout == 2.0
        assert exporter.settings.remote_write_queue.num_consumers == 2
        exporter.export(data(counter("orders", number(3))))
        assert exporter.force_flush()
    finally:
        exporter.shutdown()
    request = receiver.wait_for(1)[0]  # then the stale markers of shutdown
    assert request.headers["X-Scope-OrgID"] == "team-a"
    (labels,) = [labels for labels, _ in request.series()]
    assert labels["__name__"] == "shop_orders_total"
    assert labels["cluster"] == "eu-1"


SAMPLES: dict[str, object] = {
    "namespace": "shop",
    "headers": {"X-Scope-OrgID": "a"},
    "timeout": "3s",
    "tls": {"insecure_skip_verify": False},
    "proxy_url": "http://proxy.example:3128",
    "basic_auth": {"username": "u", "password": "p"},
    "bearer_token": None,  # exclusive with basic_auth; tried below
    "bearer_token_file": None,
    "external_labels": {"cluster": "c"},
    "resource_to_telemetry_conversion": {"enabled": True},
    "target_info": {"enabled": False},
    "add_scope_labels": None,  # deprecated aliases of the next two
    "add_metric_suffixes": None,
    "disable_scope_info": True,
    "translation_strategy": "UnderscoreEscapingWithoutSuffixes",
    "resource_constant_labels": {"excluded": ["host.name"]},
    "convert_explicit_histograms_to_nhcb": True,
    "keep_classic_histograms": True,
    "send_native_histograms": True,
    "classic_histogram_bucket_limit": 30,
    "encoder_caches": {"max_label_values": 100},
    "limits": {"max_labels_per_series": 70},
    "protobuf_message": "prometheus.WriteRequest",
    "send_metadata": True,
    "max_batch_size_bytes": 1000,
    "retry_on_failure": {"max_elapsed_time": "10s"},
    "remote_write_queue": {"num_consumers": 1},
    "send_stale_markers_on_shutdown": False,
}


def test_every_settings_key_is_a_keyword() -> None:
    fields = {f.name for f in dataclasses.fields(RemoteWriteSettings)}
    assert set(SAMPLES) == fields - {"endpoint"}  # a new key needs a sample here
    endpoint = "http://127.0.0.1:9/w"
    exporter = PrometheusRemoteWriteExporter(endpoint=endpoint, **SAMPLES)
    assert exporter.settings == RemoteWriteSettings.from_mapping(
        {"endpoint": endpoint, **{k: v for k, v in SAMPLES.items() if v is not None}}
    )
    exporter.shutdown()
    for key, value in (("bearer_token", "t"), ("bearer_token_file", "/run/token")):
        exporter = PrometheusRemoteWriteExporter(endpoint=endpoint, **{key: value})
        assert getattr(exporter.settings, key) == value
        exporter.shutdown()


def test_the_settings_form_and_a_session_keep_working(receiver: Receiver) -> None:
    settings = RemoteWriteSettings(endpoint=receiver.url)
    with requests.Session() as session:
        seen: list[str] = []
        session.hooks["response"].append(lambda r, *a, **k: seen.append(r.url))
        exporter = PrometheusRemoteWriteExporter(settings, session=session)
        assert exporter.settings is settings
        exporter.export(data(counter("orders", number(1))))
        exporter.shutdown()
        assert seen and seen[0] == receiver.url
        keyword = PrometheusRemoteWriteExporter(endpoint=receiver.url, session=session)
        keyword.shutdown()


def test_none_means_not_given() -> None:
    exporter = PrometheusRemoteWriteExporter(
        endpoint="http://127.0.0.1:9/w", namespace=None, proxy_url=None, timeout=None
    )
    assert exporter.settings == RemoteWriteSettings(endpoint="http://127.0.0.1:9/w")
    exporter.shutdown()


def test_settings_and_keywords_together_are_refused() -> None:
    settings = RemoteWriteSettings(endpoint="http://127.0.0.1:9/w")
    with pytest.raises(TypeError) as raised:
        PrometheusRemoteWriteExporter(settings, endpoint="http://other/w", timeout="1s")
    assert str(raised.value) == (
        "PrometheusRemoteWriteExporter() takes settings or config keywords, not both "
        "(got endpoint, timeout)"
    )


@pytest.mark.parametrize(
    ("keywords", "message"),
    [
        ({}, "endpoint: required key is missing"),
        ({"endpont": "http://h/w"}, 'endpont: unknown key; did you mean "endpoint"?'),
        (
            {"endpoint": "http://h/w", "remote_write_queue": {"num_consumer": 2}},
            'remote_write_queue.num_consumer: unknown key; did you mean "num_consumers"?',
        ),
        (
            {"endpoint": "http://h/w", "remote_write_queue": {"num_consumers": "2"}},
            'remote_write_queue.num_consumers: expected an integer, got "2"',
        ),
        (
            {"endpoint": "http://h/w", "timeout": "soon"},
            'timeout: expected a duration like "30s", got "soon"',
        ),
        ({"endpoint": "http://h/w", "tls": True}, "tls: expected a mapping, got bool"),
    ],
)
def test_bad_keywords_are_config_errors_naming_the_key(
    keywords: dict[str, object], message: str
) -> None:
    with pytest.raises(ConfigError) as raised:
        PrometheusRemoteWriteExporter(**keywords)
    assert str(raised.value) == message


def test_a_header_value_is_never_echoed() -> None:
    with pytest.raises(ConfigError) as raised:
        PrometheusRemoteWriteExporter(
            endpoint="http://h/w", headers={"X-Api-Key": "sk-SECRET\nforged"}
        )
    assert "SECRET" not in str(raised.value)
    assert str(raised.value).startswith("headers.X-Api-Key: ")
