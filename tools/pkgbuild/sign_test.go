package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
)

// writeTestKey writes a fresh armored private key, protected when passphrase
// is set, and returns its path and entity.
func writeTestKey(t *testing.T, passphrase string) (string, *openpgp.Entity) {
	t.Helper()
	e, err := openpgp.NewEntity("wodlekit test", "", "test@example.invalid", &packet.Config{Algorithm: packet.PubKeyAlgoEdDSA})
	if err != nil {
		t.Fatal(err)
	}
	if passphrase != "" {
		if err := e.EncryptPrivateKeys([]byte(passphrase), nil); err != nil {
			t.Fatal(err)
		}
	}
	var buf bytes.Buffer
	w, err := armor.Encode(&buf, openpgp.PrivateKeyType, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.SerializePrivateWithoutSigning(w, nil); err != nil {
		t.Fatal(err)
	}
	w.Close()
	path := filepath.Join(t.TempDir(), "key.asc")
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	return path, e
}

func TestRPMSignerIsDeterministicAndVerifies(t *testing.T) {
	path, e := writeTestKey(t, "")
	// Before the key existed: the signature is made at the key's creation.
	s, err := LoadSigningKey(path, "", time.Unix(0, 0))
	if err != nil {
		t.Fatal(err)
	}
	if !s.Time().Equal(e.PrimaryKey.CreationTime.UTC()) {
		t.Errorf("signature time %v, want the key's creation %v", s.Time(), e.PrimaryKey.CreationTime)
	}
	data := []byte("an rpm header")
	a, err := s.Sign(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.Sign(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a, b) {
		t.Error("two signatures of the same data differ: signed rebuilds would not be byte-identical")
	}
	keyring := openpgp.EntityList{e}
	cfg := &packet.Config{Time: s.Time}
	if _, err := openpgp.CheckDetachedSignature(keyring, bytes.NewReader(data), bytes.NewReader(a), cfg); err != nil {
		t.Errorf("signature does not verify: %v", err)
	}
	if _, err := openpgp.CheckDetachedSignature(keyring, bytes.NewReader([]byte("an rpm headeR")), bytes.NewReader(a), cfg); err == nil {
		t.Error("signature verifies altered data")
	}
	later := e.PrimaryKey.CreationTime.Add(time.Hour)
	s2, err := LoadSigningKey(path, "", later)
	if err != nil {
		t.Fatal(err)
	}
	if !s2.Time().Equal(later.UTC()) {
		t.Errorf("signature time %v, want SOURCE_DATE_EPOCH %v", s2.Time(), later)
	}
}

func TestLoadSigningKeyErrors(t *testing.T) {
	protected, _ := writeTestKey(t, "s3cret")
	if _, err := LoadSigningKey(protected, "s3cret", time.Now()); err != nil {
		t.Errorf("right passphrase: %v", err)
	}
	public := filepath.Join(t.TempDir(), "pub.asc")
	_, e := writeTestKey(t, "")
	var buf bytes.Buffer
	w, _ := armor.Encode(&buf, openpgp.PublicKeyType, nil)
	if err := e.Serialize(w); err != nil {
		t.Fatal(err)
	}
	w.Close()
	if err := os.WriteFile(public, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	garbage := filepath.Join(t.TempDir(), "garbage.asc")
	if err := os.WriteFile(garbage, []byte("not a key"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, path, passphrase, want string
	}{
		{"no passphrase", protected, "", "set SIGNING_KEY_PASSPHRASE"},
		{"wrong passphrase", protected, "hunter2x", "wrong passphrase"},
		{"public key only", public, "", "holds no private key"},
		{"not a key", garbage, "", "not an armored OpenPGP key"},
		{"missing file", filepath.Join(t.TempDir(), "none.asc"), "", "no such file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := LoadSigningKey(tt.path, tt.passphrase, time.Now())
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error = %v, want one containing %q", err, tt.want)
			}
			if tt.passphrase != "" && strings.Contains(err.Error(), tt.passphrase) {
				t.Errorf("error shows the passphrase: %v", err)
			}
		})
	}
}
