#!/usr/bin/env bash
# Regenerates remote_pb2.py / remote_pb2.pyi from remote.proto; the outputs are committed.
# Uses protoc 3.21 (Debian's protobuf-compiler): its output carries no runtime-version
# check, so the same module imports under protobuf 4.21 through 7.x.
set -euo pipefail
cd "$(dirname "$0")/../.."
protoc --version
protoc -I. --python_out=. --pyi_out=. upstream_prw/proto/remote.proto upstream_prw/proto/remote_v2.proto
