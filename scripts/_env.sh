# Shared set-up for scripts/: make sure .venv exists and holds what pyproject.toml asks for.
# Sourced, not run. Re-installs only when pyproject.toml or requirements.lock changed.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${PICSIFT_VENV:-$ROOT/.venv}"
PY="${PYTHON:-python3.11}"
command -v "$PY" >/dev/null 2>&1 || PY=python3
if [ ! -x "$VENV/bin/python" ]; then
  echo "picsift: creating $VENV" >&2
  "$PY" -m venv "$VENV"
fi
stamp="$VENV/.picsift-install-stamp"
want="$(cat "$ROOT/pyproject.toml" "$ROOT/requirements.lock" | sha256sum | cut -d' ' -f1)"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "picsift: installing dependencies (first run takes a few minutes)" >&2
  # requirements.lock pins every transitive version, so installs are the same everywhere;
  # torch/torchvision are pinned as a matching pair (see README).
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check \
    -c "$ROOT/requirements.lock" -e "$ROOT[dev]"
  echo "$want" > "$stamp"
fi
export PATH="$VENV/bin:$PATH"
