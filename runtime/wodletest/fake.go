package wodletest

import (
	"encoding/json"

	"github.com/wodlekit/wodlekit/runtime/wodletest/fakekit"
)

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }

// Fake is a vendor's fake API as the conformance suite drives it; see
// fakekit.Fake, which every vendors/<v>/fakeapi.API implements directly.
type Fake = fakekit.Fake
