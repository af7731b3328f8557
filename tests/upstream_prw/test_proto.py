"""The generated schema: our own protobuf package, wire-compatible with remote-write 1.0."""

from __future__ import annotations

from google.protobuf import descriptor_pb2, descriptor_pool

from upstream_prw.proto import remote_pb2


def test_package_is_not_prometheus() -> None:
    assert remote_pb2.DESCRIPTOR.package == "upstream_prw.rw1"


def test_coexists_with_a_library_that_registers_prometheus_messages() -> None:
    # Another library (the contrib exporter does this) registers `prometheus.WriteRequest`
    # in the default pool; ours lives under a different name, so both stay importable.
    fdp = descriptor_pb2.FileDescriptorProto(name="other/remote.proto", package="prometheus")
    fdp.message_type.add(name="WriteRequest")
    descriptor_pool.Default().Add(fdp)
    assert descriptor_pool.Default().FindMessageTypeByName("prometheus.WriteRequest")
    assert remote_pb2.WriteRequest.DESCRIPTOR.full_name == "upstream_prw.rw1.WriteRequest"


def test_field_numbers_match_remote_write_1_0() -> None:
    numbers = {
        f"{m.name}.{f.name}": f.number
        for m in remote_pb2.DESCRIPTOR.message_types_by_name.values()
        for f in m.fields
    }
    assert numbers["WriteRequest.timeseries"] == 1
    assert numbers["WriteRequest.metadata"] == 3
    assert numbers["TimeSeries.labels"] == 1
    assert numbers["TimeSeries.samples"] == 2
    assert numbers["TimeSeries.exemplars"] == 3
    assert numbers["TimeSeries.histograms"] == 4
    assert numbers["Sample.value"] == 1
    assert numbers["Sample.timestamp"] == 2
    assert numbers["Histogram.schema"] == 4
    assert numbers["Histogram.positive_deltas"] == 12
    assert numbers["Histogram.timestamp"] == 15
    assert numbers["MetricMetadata.help"] == 4
    assert numbers["MetricMetadata.unit"] == 5
