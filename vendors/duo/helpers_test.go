package duo_test

import (
	"os"

	"github.com/wodlekit/wodlekit/runtime/secret"
)

func readAll(path string) ([]byte, error) { return os.ReadFile(path) }

func secretOf(s string) secret.Secret { return secret.New(s) }
