# Sourced by scripts/test, scripts/demo, scripts/bench and scripts/devdb; not run.
#
# The rule these scripts keep: they never touch a MongoDB they did not start,
# unless told to with MIG_TEST_URI. A MONGODB_URI in the shell (perhaps
# production) is ignored: each script sets MONGODB_URI for what it runs to the
# server it uses.
#
#   MIG_TEST_URI    use this server instead of starting one (scripts/test,
#                   scripts/demo, scripts/bench); see the README for what they
#                   create and drop there
#   MIG_NO_BUILD=1  skip `cargo build` (the binaries in $CARGO_TARGET_DIR/debug,
#                   default target/debug, are used as they are)

cd "$(dirname "${BASH_SOURCE[0]}")/.."
bin_dir=${CARGO_TARGET_DIR:-target}/debug
mig_bin=$bin_dir/mig
devdb_bin=$bin_dir/examples/devdb

# build ARGS...: `cargo build ARGS...`, unless MIG_NO_BUILD is set. Says
# "building mig…" only when cargo compiles something (not when all is built
# already); cargo's errors and warnings pass, its progress lines do not.
build() {
  if [ -n "${MIG_NO_BUILD:-}" ]; then
    return 0
  fi
  cargo build "$@" 2>&1 >/dev/null | awk '
    /^ *Compiling / {
      if (!said) { print "building mig (first time takes a couple of minutes)…"; fflush(); said = 1 }
      next
    }
    /^ *(Finished|Fresh|Blocking|Downloading|Downloaded|Updating|Locking|Adding) / { next }
    { print; fflush() }' >&2
}

# use_server NAME: points MONGODB_URI at the server to use: $MIG_TEST_URI when
# set, otherwise a mongod started now under a temporary directory and stopped
# (and its directory removed) when the script exits. Unsets MIG_DEV_URI.
use_server() {
  # Nor a dev server of the shell's: mig builds indexes in throw-away databases there.
  unset MONGODB_URI MIG_DEV_URI
  if [ -n "${MIG_TEST_URI:-}" ]; then
    MONGODB_URI=$MIG_TEST_URI
    echo "scripts/$1: using the server in MIG_TEST_URI" >&2
  else
    own_dir=$(mktemp -d "${TMPDIR:-/tmp}/mig-$1.XXXXXX")
    trap '"$devdb_bin" stop "$own_dir" >/dev/null 2>&1 || true; rm -rf "$own_dir"' EXIT
    echo "scripts/$1: starting a local mongod 6.0.5 (stopped when scripts/$1 ends)…" >&2
    MONGODB_URI=$("$devdb_bin" start "$own_dir")
    echo "scripts/$1: mongod started at $MONGODB_URI" >&2
  fi
  export MONGODB_URI
}
