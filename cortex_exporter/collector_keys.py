"""Which OpenTelemetry Collector keys mean what ours mean, and which have no meaning here.

Facts from the Collector's `prometheusremotewrite` exporter, its embedded HTTP client
settings and the `sigv4auth` extension. Pure data: `collector.py` does the reading.
"""

from __future__ import annotations

__all__ = [
    "CLIENT_KEYS",
    "EXPORTER_TYPES",
    "PASS_THROUGH",
    "SAME_MEANING",
    "SAME_WHEN",
    "SIGV4_TYPE",
    "TLS_KEYS",
    "UNSUPPORTED",
]

EXPORTER_TYPES = ("prometheusremotewrite", "prometheus_remote_write")
"""The exporter's type, under its old and its new (v0.154) name."""

SIGV4_TYPE = "sigv4auth"

SAME_MEANING = frozenset(
    {
        "endpoint",
        "namespace",
        "headers",
        "timeout",
        "proxy_url",
        "external_labels",
        "resource_to_telemetry_conversion",
        "target_info",
        "add_metric_suffixes",
        "send_metadata",
        "max_batch_size_bytes",
        "retry_on_failure",
        "remote_write_queue",
    }
)
"""Exporter keys read as ours, with the same name (blocks checked by our own readers)."""

PASS_THROUGH = frozenset(
    {
        "translation_strategy",
        "resource_constant_labels",
        "disable_scope_info",
        "convert_explicit_histograms_to_nhcb",
        "keep_classic_histograms",
    }
)
"""Newer exporter keys passed on unchanged: our settings judge them."""

CLIENT_KEYS = frozenset(
    {
        "endpoint",
        "proxy_url",
        "tls",
        "headers",
        "auth",
        "compression",
        "compression_params",
        "read_buffer_size",
        "write_buffer_size",
        "max_idle_conns",
        "max_idle_conns_per_host",
        "max_conns_per_host",
        "idle_conn_timeout",
        "disable_keep_alives",
        "http2_read_idle_timeout",
        "http2_ping_timeout",
        "cookies",
        "middlewares",
        "force_attempt_http2",
        "timeout",
    }
)
"""HTTP client keys: at the exporter's top level, or (since v0.158) under `http`, which
then wins and the top-level ones are not used."""

TLS_KEYS = frozenset({"insecure_skip_verify", "ca_file", "cert_file", "key_file"})
"""`tls` keys that are ours too."""

SAME_WHEN: dict[str, object] = {
    "compression": "snappy",
    "export_created_metric.enabled": False,
    "protobuf_message": "prometheus.WriteRequest",
}
"""Keys whose value here is what we do anyway; any other value is reported."""

UNSUPPORTED: dict[str, str] = {
    "wal": "no write-ahead log in-process",
    "sending_queue": "remote_write_queue is the queue",
    "include_metadata_keys": "no client metadata in-process",
    "max_batch_request_parallelism": "one request at a time per shard",
    "protobuf_message": "remote write 1.0 only",
    "export_created_metric": "no _created series",
    "compression_params": "snappy has none",
    "auth": "only sigv4auth",
    "assume_role_with_web_identity": "use AWS_ROLE_ARN and AWS_WEB_IDENTITY_TOKEN_FILE",
    "scope_info": "see add_scope_labels",
    "exclude_service_attributes": "not supported; job and instance stay as labels too",
}
"""Why a key the Collector knows is not used; any other key gets "not used in-process"."""
