#!/usr/bin/env bash
# `make image`: build the tracker's container image (Containerfile) with podman or docker.
#
# The package and its dependencies become wheels here, with $PY's pip (PyPI or pip's
# cache), in a temporary build context; the image build itself needs no network, only
# BASE_IMAGE. Nothing is written into the checkout: the wheel is built from a copy.
#
# The wheels are those of $PY's Python and pinned to the versions installed in its
# environment (pip freeze: what the tests ran with); the Containerfile refuses a base
# whose Python is another minor version, before installing anything.
#
# Environment: PY (default python3), ENGINE (podman or docker; default: whichever is
# installed, podman first), BASE_IMAGE, IMAGE_NAME (default release-tracker),
# IMAGE_SOURCE (the OCI source label), IMAGE_BUILD_FLAGS (flags for the build; for podman
# the default is "--isolation=chroot --layers=false": chroot works where crun cannot use
# the kernel's cgroups, e.g. inside another container, and no intermediate image is left
# behind; set it, even to nothing, to replace them).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
PY=${PY:-python3}
engine=${ENGINE:-$(command -v podman || command -v docker || true)}
if [ -z "$engine" ]; then
  echo "image: neither podman nor docker is installed (set ENGINE=...)" >&2
  exit 2
fi
name=${IMAGE_NAME:-release-tracker}
version=$("$PY" -c 'import sys, tomllib; print(tomllib.load(open(sys.argv[1], "rb"))["project"]["version"])' \
  "$root/pyproject.toml")
revision=$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)
case "$(basename "$engine")" in
  podman) default_flags="--isolation=chroot --layers=false" ;;
  *) default_flags= ;;
esac
read -r -a flags <<< "${IMAGE_BUILD_FLAGS-$default_flags}"

context=$(mktemp -d)
trap 'rm -rf "$context"' EXIT
mkdir "$context/src"
cp -r "$root/pyproject.toml" "$root/README.md" "$root/tracker" "$context/src/"
find "$context/src" -name __pycache__ -prune -exec rm -rf {} +
python_version=$("$PY" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
"$PY" -m pip freeze --exclude-editable --disable-pip-version-check > "$context/constraints.txt"
echo "image: building wheels of release-tracker $version and its dependencies (Python $python_version)"
"$PY" -m pip wheel --quiet --disable-pip-version-check --constraint "$context/constraints.txt" \
  --wheel-dir "$context/wheels" "$context/src"
cp "$root/Containerfile" "$context/"

build_args=(--build-arg "VERSION=$version" --build-arg "REVISION=$revision" --build-arg "PYTHON_VERSION=$python_version")
[ -n "${BASE_IMAGE:-}" ] && build_args+=(--build-arg "BASE_IMAGE=$BASE_IMAGE")
[ -n "${IMAGE_SOURCE:-}" ] && build_args+=(--build-arg "SOURCE=$IMAGE_SOURCE")
echo "image: $engine build ${name}:latest ${name}:${version} (base ${BASE_IMAGE:-as in the Containerfile})"
"$engine" build ${flags[@]+"${flags[@]}"} "${build_args[@]}" --tag "$name:latest" --tag "$name:$version" \
  --file "$context/Containerfile" "$context"
echo "image: built ${name}:latest and ${name}:${version}"
