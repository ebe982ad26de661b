# shellcheck shell=bash
# Shared setup for ./serve and ./test (sourced, not run): a virtualenv in .venv with the project
# installed from pyproject.toml, and - for ./test, as root on Debian - the system packages that
# the tests drive (Chromium, PostgreSQL, Node.js for the test OpenID provider).
#
# Environment:
#   CSI_PYTHON=python3.12   interpreter used to create .venv (default: first python3 >= 3.11)
#   CSI_NO_INSTALL=1        never run apt-get or pip; use .venv as it is (offline work)
#   CSI_VENV=/path/to/venv  use this existing virtualenv instead of .venv (never created or replaced)

CSI_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CSI_VENV="${CSI_VENV:-$CSI_ROOT/.venv}"
CSI_PY="$CSI_VENV/bin/python"
export PIP_DISABLE_PIP_VERSION_CHECK=1
# Playwright drives the system Chromium; its own browser download is never used.
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1

csi_say() { printf '==> %s\n' "$*" >&2; }
csi_warn() { printf 'warning: %s\n' "$*" >&2; }
csi_die() { printf 'error: %s\n' "$*" >&2; exit 1; }
csi_no_install() { [ "${CSI_NO_INSTALL:-}" = 1 ]; }

# Serialise concurrent ./serve and ./test runs while they create or update .venv. The lock must be
# released (csi_unlock) before exec'ing a long-lived process, or that process would keep holding it.
csi_lock() {
    command -v flock >/dev/null 2>&1 || return 0
    exec 9<"$CSI_ROOT"  # a lock on the checkout directory itself: no lock file to leave behind
    flock 9
}
csi_unlock() { exec 9>&-; }

# Run a command as root: directly when we are root, through passwordless sudo otherwise.
csi_as_root() {
    if [ "$(id -u)" -eq 0 ]; then
        "$@"
    elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
        sudo -n "$@"
    else
        return 1
    fi
}

csi_can_apt() {
    command -v apt-get >/dev/null 2>&1 || return 1
    [ "$(id -u)" -eq 0 ] || { command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; }
}

# csi_apt_install PKG... - install Debian packages quietly, running `apt-get update` only when the
# package lists are empty (fresh image) or the install fails with the lists we have. Services the
# packages ship (postgresql) are kept from starting: the test suite starts its own server.
csi_apt_install() {
    csi_can_apt || return 1
    local log policy_added=0 status=0
    log="$(mktemp)"
    if [ ! -e /usr/sbin/policy-rc.d ]; then
        csi_as_root sh -c 'printf "#!/bin/sh\nexit 101\n" > /usr/sbin/policy-rc.d && chmod 755 /usr/sbin/policy-rc.d' \
            && policy_added=1
    fi
    local apt=(csi_as_root env DEBIAN_FRONTEND=noninteractive apt-get -qq -y -o Dpkg::Use-Pty=0)
    if ! compgen -G '/var/lib/apt/lists/*_Packages*' >/dev/null; then
        "${apt[@]}" update >>"$log" 2>&1 || status=$?
    fi
    if [ "$status" -eq 0 ] && ! "${apt[@]}" install "$@" >>"$log" 2>&1; then
        status=0
        "${apt[@]}" update >>"$log" 2>&1 && "${apt[@]}" install "$@" >>"$log" 2>&1 || status=$?
    fi
    if [ "$policy_added" = 1 ]; then
        csi_as_root rm -f /usr/sbin/policy-rc.d
    fi
    if [ "$status" -ne 0 ]; then
        tail -n 30 "$log" >&2
        csi_warn "apt-get install $* failed (full log: $log)"
        return "$status"
    fi
    rm -f "$log"
}

# Print the first interpreter that is Python >= 3.11.
csi_find_python() {
    local candidate
    for candidate in "${CSI_PYTHON:-}" python3 python3.13 python3.12 python3.11; do
        if [ -z "$candidate" ] || ! command -v "$candidate" >/dev/null 2>&1; then
            continue
        fi
        if "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
            command -v "$candidate"
            return 0
        fi
    done
    return 1
}

csi_venv_ok() {
    [ -x "$CSI_PY" ] && "$CSI_PY" -c 'import sys, pip; sys.exit(sys.version_info < (3, 11))' >/dev/null 2>&1
}

# Create .venv unless a working one (Python >= 3.11 with pip) is already there.
csi_ensure_venv() {
    csi_venv_ok && return 0
    [ "$CSI_VENV" = "$CSI_ROOT/.venv" ] || csi_die "CSI_VENV=$CSI_VENV is not a working virtualenv (Python >= 3.11 with pip)"
    csi_no_install && csi_die "CSI_NO_INSTALL=1 but $CSI_VENV is missing or broken"
    local python version
    if ! python="$(csi_find_python)"; then
        csi_say "No Python >= 3.11 found; installing python3 with apt-get"
        csi_apt_install python3 python3-venv || true
        python="$(csi_find_python)" || csi_die "Python >= 3.11 is required (set CSI_PYTHON=/path/to/python3.11)"
    fi
    csi_say "Creating virtualenv .venv with $python"
    rm -rf "$CSI_VENV"
    if ! "$python" -m venv "$CSI_VENV" >/dev/null 2>&1 || ! csi_venv_ok; then
        # Debian's python3 comes without ensurepip until python3-venv (python3.X-venv) is installed.
        version="$("$python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')"
        csi_say "python -m venv needs ensurepip; installing python$version-venv with apt-get"
        csi_apt_install "python$version-venv" || csi_apt_install python3-venv \
            || csi_die "cannot create a virtualenv: install python3-venv (as root: apt-get install python3-venv)"
        rm -rf "$CSI_VENV"
        "$python" -m venv "$CSI_VENV" || csi_die "python -m venv failed"
        csi_venv_ok || csi_die "the new virtualenv has no working pip"
    fi
}

# csi_ensure_project [EXTRA] - `pip install -e .[EXTRA]` unless .venv already holds an install made
# from this very pyproject.toml (a sha256 stamp kept in .venv). An install with the test extra also
# satisfies a plain one.
csi_ensure_project() {
    local extra="${1:-}" digest
    digest="$(sha256sum "$CSI_ROOT/pyproject.toml" | cut -d' ' -f1)"
    local stamp="$CSI_VENV/.csi-installed-${extra:-base}"
    [ "$(cat "$stamp" 2>/dev/null)" = "$digest" ] && return 0
    [ -z "$extra" ] && [ "$(cat "$CSI_VENV/.csi-installed-test" 2>/dev/null)" = "$digest" ] && return 0
    if csi_no_install; then
        csi_warn "CSI_NO_INSTALL=1: not installing the project although pyproject.toml changed"
        return 0
    fi
    local target="."
    [ -n "$extra" ] && target=".[$extra]"
    csi_say "Installing Python packages: pip install -e '$target'"
    (cd "$CSI_ROOT" && "$CSI_PY" -m pip install -q -e "$target") || csi_die "pip install -e '$target' failed"
    rm -f "$CSI_VENV"/.csi-installed-*
    printf '%s\n' "$digest" >"$stamp"
}

# Chromium and the PostgreSQL server binaries, which the browser and PostgreSQL tests need.
csi_ensure_test_system_packages() {
    local missing=()
    [ -x /usr/bin/chromium ] || missing+=(chromium)
    compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || missing+=(postgresql)
    # Node.js and npm run the OpenID provider that the single sign-on tests sign in through
    # (tests/_oidc: `npm ci` into ~/.cache/csi-oidc on first use, from package-lock.json).
    if ! command -v node >/dev/null 2>&1; then
        missing+=(nodejs npm)
    elif ! command -v npm >/dev/null 2>&1; then
        missing+=(npm)
    fi
    [ "${#missing[@]}" -eq 0 ] && return 0
    if csi_no_install || ! csi_can_apt; then
        csi_warn "not installed: ${missing[*]} (run ./test as root on Debian to install them); those tests will be skipped"
        return 0
    fi
    csi_say "Installing ${missing[*]} with apt-get (first run only; takes a few minutes)"
    csi_apt_install "${missing[@]}" || csi_warn "could not install ${missing[*]}; those tests will be skipped"
}
