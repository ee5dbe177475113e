package webhook

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"
)

// TestSignatureVector: a known vector, computed with
//
//	printf '%s' '1767225600.{"id":"dlv_x","event":"run.succeeded"}' | openssl dgst -sha256 -hmac whsec_test
func TestSignatureVector(t *testing.T) {
	body := []byte(`{"id":"dlv_x","event":"run.succeeded"}`)
	at := time.Unix(1767225600, 0)
	const want = "t=1767225600,v1=b20e9228771b5320a36d72d6525ce322f6fd949abe2d9c53bff8d554f1953dc6"
	if got := Sign("whsec_test", at, body); got != want {
		t.Fatalf("Sign = %s, want %s", got, want)
	}
	if err := Verify("whsec_test", want, body, at.Add(time.Minute), 5*time.Minute); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		secret, header string
		body           string
		now            time.Time
		want           error
	}{
		{"whsec_other", want, string(body), at, ErrSignature},
		{"whsec_test", want, string(body) + " ", at, ErrSignature},
		{"whsec_test", want, string(body), at.Add(time.Hour), ErrTooOld},
		{"whsec_test", "v1=" + strings.Split(want, "v1=")[1], string(body), at, ErrBadHeader},
		{"whsec_test", "t=1767225600", string(body), at, ErrBadHeader},
		{"whsec_test", "garbage", string(body), at, ErrBadHeader},
		// Several signatures: one matching is enough.
		{"whsec_test", want + ",v1=00", string(body), at, nil},
	} {
		if err := Verify(c.secret, c.header, []byte(c.body), c.now, 5*time.Minute); !errors.Is(err, c.want) {
			t.Errorf("Verify(%q, %q): %v, want %v", c.secret, c.header, err, c.want)
		}
	}
}

func TestPrivate(t *testing.T) {
	for ip, want := range map[string]bool{
		"127.0.0.1": true, "::1": true, "10.1.2.3": true, "172.16.0.1": true, "192.168.1.1": true,
		"169.254.169.254": true, "fe80::1": true, "fc00::1": true, "0.0.0.0": true, "::": true,
		"100.64.0.1": true, "::ffff:127.0.0.1": true, "::ffff:10.0.0.1": true, "64:ff9b::a00:1": true, "224.0.0.1": true,
		"8.8.8.8": false, "2001:4860:4860::8888": false, "93.184.216.34": false, "::ffff:8.8.8.8": false,
	} {
		if got := Private(netip.MustParseAddr(ip)); got != want {
			t.Errorf("Private(%s) = %v, want %v", ip, got, want)
		}
	}
}

type fakeResolver map[string][]string

func (f fakeResolver) LookupIPAddr(_ context.Context, host string) ([]net.IPAddr, error) {
	var out []net.IPAddr
	for _, a := range f[host] {
		out = append(out, net.IPAddr{IP: net.ParseIP(a)})
	}
	if len(out) == 0 {
		return nil, errors.New("no such host")
	}
	return out, nil
}

func TestCheckURL(t *testing.T) {
	ctx := context.Background()
	r := fakeResolver{"hooks.example.com": {"93.184.216.34"}, "rebind.example.com": {"93.184.216.34", "10.0.0.7"}, "localhost": {"127.0.0.1"}}
	for raw, wantErr := range map[string]string{
		"https://hooks.example.com/segmentd": "",
		"http://93.184.216.34:8080/x":        "",
		"ftp://hooks.example.com/":           "http or https",
		"https:///path":                      "no host",
		"https://user:pw@hooks.example.com/": "credentials",
		"http://127.0.0.1:9999/":             "private",
		"http://[::1]/":                      "private",
		"http://10.0.0.1/":                   "private",
		"http://169.254.169.254/latest/":     "private",
		"http://localhost/":                  "private",
		"https://rebind.example.com/":        "private",
		"https://nowhere.example.com/":       "does not resolve",
		"not a url at all":                   "http or https",
	} {
		err := CheckURL(ctx, raw, false, r)
		if wantErr == "" && err != nil || wantErr != "" && (err == nil || !strings.Contains(err.Error(), wantErr)) {
			t.Errorf("CheckURL(%q) = %v, want %q", raw, err, wantErr)
		}
	}
	// Allowed, private targets pass; the rest is still checked.
	if err := CheckURL(ctx, "http://127.0.0.1:9999/", true, r); err != nil {
		t.Errorf("allowed private: %v", err)
	}
	if err := CheckURL(ctx, "ftp://127.0.0.1/", true, r); err == nil {
		t.Error("allowed private: ftp passed")
	}
}

// TestDialerRefusesPrivate: the check is on the dialed address, whatever
// the URL said when the webhook was made (DNS rebinding).
func TestDialerRefusesPrivate(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()
	_, err := NewClient(false, time.Second).Post(srv.URL, "application/json", nil)
	if !errors.Is(err, ErrPrivate) {
		t.Fatalf("POST to loopback: %v, want ErrPrivate", err)
	}
	resp, err := NewClient(true, time.Second).Post(srv.URL, "application/json", nil)
	if err != nil {
		t.Fatalf("allowed: %v", err)
	}
	resp.Body.Close()
}

func TestDelay(t *testing.T) {
	var got []time.Duration
	for n := 1; n <= 7; n++ {
		got = append(got, Delay(10*time.Second, n))
	}
	want := []time.Duration{10 * time.Second, 20 * time.Second, 40 * time.Second, 80 * time.Second, 160 * time.Second, 320 * time.Second, 640 * time.Second}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("delays %v, want %v", got, want)
		}
	}
}
