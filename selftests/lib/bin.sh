# Which build the tests run: the sanitizer build when "make check" made
# one, otherwise the plain one. Sets NFP_BIN unless the caller chose.
# Sourced by lib/test.sh and by the runner; $1 is the repository.
# shellcheck shell=bash
if [ -z "${NFP_BIN:-}" ]; then
	if [ -x "$1/build/san/punchctl" ]; then
		NFP_BIN=$1/build/san
	else
		NFP_BIN=$1/build
	fi
fi
