// Package webhook tells an app's URLs when its runs end: the signing of a
// delivery (Sign, Verify), the rule of which URLs may be called
// (CheckURL, and a dialer that holds every connection to it), the use
// cases of the API (Service) and the worker that sends the deliveries of
// the store's outbox (Worker), at least once, with retries.
package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Headers of a delivery.
const (
	// SignatureHeader is "t=<unix seconds>,v1=<hex HMAC-SHA256>" (Sign).
	SignatureHeader = "Segmentd-Signature"
	// DeliveryHeader is the delivery's ID: its idempotency key, the same
	// in every attempt and in the body's "id".
	DeliveryHeader = "Segmentd-Delivery"
	// EventHeader is the event, also in the body.
	EventHeader = "Segmentd-Event"
)

// Signature returns the hex HMAC-SHA256, keyed with the secret's bytes,
// of "<t>.<body>" with t in Unix seconds.
func Signature(secret string, t int64, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(strconv.FormatInt(t, 10)))
	mac.Write([]byte{'.'})
	mac.Write(body)
	return hex.EncodeToString(mac.Sum(nil))
}

// Sign returns the SignatureHeader of a body sent at t.
func Sign(secret string, t time.Time, body []byte) string {
	u := t.Unix()
	return "t=" + strconv.FormatInt(u, 10) + ",v1=" + Signature(secret, u, body)
}

// Errors of Verify.
var (
	ErrBadHeader = errors.New("webhook: malformed signature header")
	ErrSignature = errors.New("webhook: no matching signature")
	ErrTooOld    = errors.New("webhook: timestamp outside the tolerance")
)

// Verify checks a SignatureHeader against the body as received: one of its
// v1 signatures (there may be several, e.g. while a secret is rotated)
// must match, compared in constant time, and, if tolerance > 0, its
// timestamp must be within tolerance of now (against replays).
func Verify(secret, header string, body []byte, now time.Time, tolerance time.Duration) error {
	var t int64
	var sigs []string
	haveT := false
	for _, part := range strings.Split(header, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return ErrBadHeader
		}
		switch k {
		case "t":
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				return ErrBadHeader
			}
			t, haveT = n, true
		case "v1":
			sigs = append(sigs, v)
		}
	}
	if !haveT || len(sigs) == 0 {
		return ErrBadHeader
	}
	want := []byte(Signature(secret, t, body))
	match := false
	for _, sig := range sigs {
		match = hmac.Equal([]byte(sig), want) || match
	}
	if !match {
		return ErrSignature
	}
	if tolerance > 0 {
		if d := now.Sub(time.Unix(t, 0)); d > tolerance || d < -tolerance {
			return fmt.Errorf("%w: signed %s ago", ErrTooOld, d)
		}
	}
	return nil
}
