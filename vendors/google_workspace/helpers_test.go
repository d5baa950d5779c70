package googleworkspace_test

import (
	"crypto/rand"
	"crypto/rsa"
	"sync"

	"github.com/wodlekit/wodlekit/runtime/wodletest"
	"github.com/wodlekit/wodlekit/vendors/google_workspace/fakeapi"
)

// testAdmin is the delegated admin the tests' fakes accept.
const testAdmin = "reports-admin@example.com"

// testAccessToken is what the tests' token endpoints issue.
const testAccessToken = "ya29.wodlekit-test-only-access-token-Zm9vYmFy"

// testRSA is one throwaway RSA key for the whole test binary (2048 bits
// take a while to generate on a loaded machine): test-only, never a real
// service account's.
var testRSA = sync.OnceValue(func() *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return k
})

// testKey is the key file for a fake at baseURL.
func testKey(baseURL string) fakeapi.Key { return fakeapi.KeyFor(testRSA(), baseURL) }

// newAPI builds a fake that accepts testKey and testAdmin.
func newAPI(o fakeapi.Options) *fakeapi.API {
	k := testKey("")
	o.ClientEmail, o.PublicKey, o.Admin, o.AccessToken = k.ClientEmail, &testRSA().PublicKey, testAdmin, testAccessToken
	return fakeapi.New(o)
}

// baseEnv is the settings and key of a run against the fake at url.
func baseEnv(url, dir string) wodletest.Env {
	return wodletest.Env{
		"GWS_BASE_URL": url, "GWS_STATE_DIR": dir, "GWS_LOG_FILE": dir + "/log",
		"GWS_DELEGATED_ADMIN": testAdmin, "GWS_SERVICE_ACCOUNT_KEY": string(testKey(url).JSON),
	}
}
