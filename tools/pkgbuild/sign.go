package main

import (
	"bytes"
	"crypto"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
)

// RPMSigner signs RPM headers with an OpenPGP key, through nfpm's SignFn hook.
// nfpm's own signer stamps the signature with the current time and a random
// salt notation, so two builds of one tag would differ; this one signs at a
// fixed time without the salt, so a signed rebuild is byte-identical. The
// OpenPGP work is ProtonMail's go-crypto (what nfpm itself uses).
type RPMSigner struct {
	key  *openpgp.Entity
	time time.Time
}

// LoadSigningKey reads an armored OpenPGP private key file holding exactly one
// signing key, decrypting it with passphrase when it is protected. The
// signature time is at, or the key's creation time if the key is newer (a key
// cannot sign before it exists).
func LoadSigningKey(path, passphrase string, at time.Time) (*RPMSigner, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("signing key: %w", err)
	}
	list, err := openpgp.ReadArmoredKeyRing(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("signing key %s: not an armored OpenPGP key: %w", path, err)
	}
	var key *openpgp.Entity
	for _, e := range list {
		if e.PrivateKey == nil {
			continue
		}
		if key != nil {
			return nil, fmt.Errorf("signing key %s: holds more than one private key; give one", path)
		}
		key = e
	}
	if key == nil {
		return nil, fmt.Errorf("signing key %s: holds no private key (export it with gpg --export-secret-keys --armor)", path)
	}
	if err := decryptKeys(key, passphrase); err != nil {
		return nil, fmt.Errorf("signing key %s: %w", path, err)
	}
	if created := key.PrimaryKey.CreationTime; created.After(at) {
		at = created
	}
	for _, sk := range key.Subkeys {
		if sk.PrivateKey != nil && sk.PublicKey.CreationTime.After(at) {
			at = sk.PublicKey.CreationTime
		}
	}
	s := &RPMSigner{key: key, time: at.UTC()}
	// Fail now, not in the middle of a build, when the key cannot sign.
	if _, err := s.Sign(bytes.NewReader(nil)); err != nil {
		return nil, fmt.Errorf("signing key %s: %w", path, err)
	}
	return s, nil
}

func decryptKeys(e *openpgp.Entity, passphrase string) error {
	keys := []*packet.PrivateKey{e.PrivateKey}
	for _, sk := range e.Subkeys {
		if sk.PrivateKey != nil {
			keys = append(keys, sk.PrivateKey)
		}
	}
	for _, k := range keys {
		if !k.Encrypted {
			continue
		}
		if passphrase == "" {
			return errors.New("the key is protected by a passphrase: set SIGNING_KEY_PASSPHRASE")
		}
		if err := k.Decrypt([]byte(passphrase)); err != nil {
			return fmt.Errorf("wrong passphrase (SIGNING_KEY_PASSPHRASE): %w", err)
		}
	}
	return nil
}

// Sign returns a binary detached signature of data: what rpmpack puts in the
// RPM signature header.
func (s *RPMSigner) Sign(data io.Reader) ([]byte, error) {
	deterministic := false
	var sig bytes.Buffer
	err := openpgp.DetachSign(&sig, s.key, data, &packet.Config{
		DefaultHash:                           crypto.SHA256,
		Time:                                  func() time.Time { return s.time },
		NonDeterministicSignaturesViaNotation: &deterministic,
	})
	if err != nil {
		return nil, fmt.Errorf("sign: %w", err)
	}
	return sig.Bytes(), nil
}

// Time is when the signatures are made.
func (s *RPMSigner) Time() time.Time { return s.time }
