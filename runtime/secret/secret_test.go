package secret

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

const plain = "hunter2-s3cr3t"

type holder struct {
	Name   string
	Token  Secret
	hidden Secret
	Ptr    *Secret
}

func TestSecretRedactsEverywhere(t *testing.T) {
	s := New(plain)
	h := holder{Name: "x", Token: s, hidden: s, Ptr: &s}
	outputs := map[string]string{
		"String":   s.String(),
		"GoString": s.GoString(),
		"%v":       fmt.Sprintf("%v", s),
		"%+v":      fmt.Sprintf("%+v", s),
		"%#v":      fmt.Sprintf("%#v", s),
		"%s":       fmt.Sprintf("%s", s),
		"%q":       fmt.Sprintf("%q", s),
		"%x":       fmt.Sprintf("%x", s),
		"%X":       fmt.Sprintf("%X", s),
		"%d":       fmt.Sprintf("%d", s),
		"%10s":     fmt.Sprintf("%10s", s),
		"ptr %v":   fmt.Sprintf("%v", &s),
		"struct%v": fmt.Sprintf("%v", h),
		"struct+v": fmt.Sprintf("%+v", h),
		"struct#v": fmt.Sprintf("%#v", h),
		"slice":    fmt.Sprint([]Secret{s, s}),
		"map":      fmt.Sprint(map[string]Secret{"k": s}),
		"error":    fmt.Errorf("login with %v failed", s).Error(),
	}
	for _, marshal := range []struct {
		name string
		v    any
	}{{"json", s}, {"json struct", h}, {"json map", map[string]Secret{"k": s}}} {
		b, err := json.Marshal(marshal.v)
		if err != nil {
			t.Fatal(err)
		}
		outputs[marshal.name] = string(b)
	}
	txt, _ := s.MarshalText()
	outputs["MarshalText"] = string(txt)

	var jbuf, tbuf bytes.Buffer
	for _, l := range []*slog.Logger{
		slog.New(slog.NewJSONHandler(&jbuf, nil)),
		slog.New(slog.NewTextHandler(&tbuf, nil)),
	} {
		l.Info("m", "token", s, "holder", h, slog.Any("any", s), slog.Group("g", "tok", s))
	}
	outputs["slog json"] = jbuf.String()
	outputs["slog text"] = tbuf.String()

	for name, out := range outputs {
		if strings.Contains(out, plain) || strings.Contains(out, fmt.Sprintf("%x", plain)) {
			t.Errorf("%s leaked: %s", name, out)
		}
		if !strings.Contains(out, "[REDACTED]") {
			t.Errorf("%s: no [REDACTED] marker: %s", name, out)
		}
	}
	if got := fmt.Sprintf("%q", s); got != `"[REDACTED]"` {
		t.Errorf("%%q = %s", got)
	}
	if !strings.Contains(jbuf.String(), `"token":"[REDACTED]"`) {
		t.Errorf("slog json: %s", jbuf.String())
	}
	if s.Reveal() != plain {
		t.Fatal("Reveal lost the value")
	}
}

func TestEmptySecret(t *testing.T) {
	for _, s := range []Secret{{}, New("")} {
		if !s.IsZero() || s.Reveal() != "" {
			t.Fatal("empty secret not zero")
		}
		for _, out := range []string{s.String(), fmt.Sprintf("%v|%+v|%#v|%s|%x", s, s, s, s, s)} {
			if !strings.Contains(out, "[EMPTY]") || strings.Contains(out, "REDACTED") {
				t.Errorf("empty secret printed %q", out)
			}
		}
		b, _ := json.Marshal(s)
		if string(b) != `"[EMPTY]"` {
			t.Errorf("json %s", b)
		}
	}
	if New("x").IsZero() {
		t.Fatal("non-empty secret reported zero")
	}
}

func TestSecretInErrorChain(t *testing.T) {
	err := fmt.Errorf("wrap: %w", fmt.Errorf("auth %v %s %q", New(plain), New(plain), New(plain)))
	if strings.Contains(err.Error(), plain) || errors.Unwrap(err) == nil {
		t.Fatal(err)
	}
}
