#!/usr/bin/env bash
# Renders the diagrams referenced from DESIGN.md. Needs Graphviz (`apt-get install graphviz`).
set -euo pipefail
cd "$(dirname "$0")"
for source in *.dot; do
    dot -Tpng -Gdpi=110 "$source" -o "${source%.dot}.png"
    echo "img/${source%.dot}.png"
done
