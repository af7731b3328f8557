"""The remote-write 1.0 schema, generated from `remote.proto` by `regenerate.sh`.

Package `upstream_prw.rw1`, wire-compatible with `prometheus.WriteRequest`. The encoder does
not use it; it is the specification the tests decode every encoded byte with.
"""

from upstream_prw.proto import remote_pb2

__all__ = ["remote_pb2"]
