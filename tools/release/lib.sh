# Shared by release.sh and repo.sh: a throwaway GnuPG home holding the release
# key (SIGNING_KEY: an armored private key file; SIGNING_KEY_PASSPHRASE
# optional), removed on exit. The passphrase never appears on a command line.
# shellcheck shell=bash

# gpg_start: import $SIGNING_KEY into a fresh GNUPGHOME; sets gpg_home.
gpg_home=
gpg_start() {
	[ -r "$SIGNING_KEY" ] || { echo "release: SIGNING_KEY=$SIGNING_KEY is not a readable file" >&2; exit 2; }
	gpg_home=$(mktemp -d /tmp/wodlekit-gpg.XXXXXX)
	chmod 700 "$gpg_home"
	trap 'gpgconf --homedir "$gpg_home" --kill all >/dev/null 2>&1 || :; rm -rf "$gpg_home"' EXIT
	if ! gpg_run --import "$SIGNING_KEY" 2>"$gpg_home/import.err"; then
		echo "release: gpg could not import SIGNING_KEY=$SIGNING_KEY:" >&2
		cat "$gpg_home/import.err" >&2
		exit 2
	fi
	if [ "$(gpg_run --list-secret-keys --with-colons | grep -c '^sec')" != 1 ]; then
		echo "release: SIGNING_KEY=$SIGNING_KEY must hold exactly one private key" >&2
		exit 2
	fi
}

# gpg_run ARGS...: gpg in the throwaway home, passphrase on a pipe when set.
gpg_run() {
	local pass=(--pinentry-mode loopback --passphrase-fd 3)
	gpg --homedir "$gpg_home" --batch --yes --no-tty --quiet "${pass[@]}" "$@" 3< <(printf '%s' "${SIGNING_KEY_PASSPHRASE:-}")
}
