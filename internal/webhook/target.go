package webhook

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
	"time"
)

// MaxURLLen bounds a webhook's URL, in bytes.
const MaxURLLen = 2048

// ErrPrivate is why a URL, or a connection, was refused: its address is
// loopback, private, link-local or otherwise not on the public internet,
// and the server does not allow private targets.
var ErrPrivate = errors.New("the address is loopback, private or link-local")

// notPublic are the prefixes refused besides what netip classifies:
// "this network", shared address space (carrier-grade NAT), the IETF
// protocol assignments, benchmarking, NAT64's well-known prefix mapping
// IPv4 (checked on its IPv4 too) and the reserved 240/4.
var notPublic = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),
	netip.MustParsePrefix("100.64.0.0/10"),
	netip.MustParsePrefix("192.0.0.0/24"),
	netip.MustParsePrefix("198.18.0.0/15"),
	netip.MustParsePrefix("240.0.0.0/4"),
}

// Private reports whether an address is one a webhook must not reach
// unless private targets are allowed: loopback, private (RFC 1918, RFC
// 4193), link-local (cloud metadata services live there), unspecified,
// multicast, and the prefixes of notPublic; IPv4-mapped IPv6 addresses as
// their IPv4.
func Private(ip netip.Addr) bool {
	ip = ip.Unmap()
	if !ip.IsValid() || ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() ||
		ip.IsInterfaceLocalMulticast() || ip.IsMulticast() || ip.IsUnspecified() {
		return true
	}
	if ip.Is6() && netip.MustParsePrefix("64:ff9b::/96").Contains(ip) {
		b := ip.As16()
		return Private(netip.AddrFrom4([4]byte(b[12:])))
	}
	for _, p := range notPublic {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

// URLError is why CheckURL refused a URL, for the user.
type URLError struct{ Reason string }

func (e *URLError) Error() string { return e.Reason }

// Resolver looks a host's addresses up (*net.Resolver does).
type Resolver interface {
	LookupIPAddr(ctx context.Context, host string) ([]net.IPAddr, error)
}

// CheckURL refuses what a webhook cannot be: not http or https, no host,
// credentials in the URL, longer than MaxURLLen and, unless allowPrivate,
// a host that is (or resolves to an address that is) Private, or that
// does not resolve. The dialer checks every connection again (Dialer), so
// a name that resolves elsewhere later is refused then.
func CheckURL(ctx context.Context, raw string, allowPrivate bool, r Resolver) error {
	if len(raw) > MaxURLLen {
		return &URLError{fmt.Sprintf("the URL is longer than %d bytes", MaxURLLen)}
	}
	u, err := url.Parse(raw)
	if err != nil {
		return &URLError{"the URL does not parse: " + err.Error()}
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return &URLError{"the URL must be http or https"}
	}
	if u.Host == "" || u.Hostname() == "" {
		return &URLError{"the URL has no host"}
	}
	if u.User != nil {
		return &URLError{"the URL must not carry credentials: authenticate the delivery by its signature"}
	}
	if allowPrivate {
		return nil
	}
	host := u.Hostname()
	if ip, err := netip.ParseAddr(host); err == nil {
		if Private(ip) {
			return &URLError{fmt.Sprintf("%s: %v (the server refuses private targets)", host, ErrPrivate)}
		}
		return nil
	}
	if r == nil {
		r = net.DefaultResolver
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	addrs, err := r.LookupIPAddr(ctx, strings.TrimSuffix(host, "."))
	if err != nil || len(addrs) == 0 {
		return &URLError{fmt.Sprintf("the host %s does not resolve", host)}
	}
	for _, a := range addrs {
		ip, ok := netip.AddrFromSlice(a.IP)
		if !ok || Private(ip) {
			return &URLError{fmt.Sprintf("%s resolves to %s: %v (the server refuses private targets)", host, a.IP, ErrPrivate)}
		}
	}
	return nil
}

// Dialer returns a dialer that, unless allowPrivate, refuses to connect to
// a Private address: the check is on the address dialed, after the name
// was resolved, so a name that resolved to a public address when the
// webhook was made and to a private one now (DNS rebinding) is refused.
func Dialer(allowPrivate bool, timeout time.Duration) *net.Dialer {
	d := &net.Dialer{Timeout: timeout, KeepAlive: 30 * time.Second}
	if !allowPrivate {
		d.Control = func(network, address string, _ syscall.RawConn) error {
			host, _, err := net.SplitHostPort(address)
			if err != nil {
				return err
			}
			ip, err := netip.ParseAddr(host)
			if err != nil || Private(ip) {
				return fmt.Errorf("webhook: dial %s: %w", address, ErrPrivate)
			}
			return nil
		}
	}
	return d
}

// NewClient is the HTTP client of deliveries: every connection through
// Dialer, no proxy from the environment (a proxy would dial for us,
// unchecked), no redirects followed (a 3xx is an answer that is not 2xx)
// and each attempt bounded by timeout.
func NewClient(allowPrivate bool, timeout time.Duration) *http.Client {
	tr := &http.Transport{
		Proxy:                 nil,
		DialContext:           Dialer(allowPrivate, timeout).DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          64,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   timeout,
		ResponseHeaderTimeout: timeout,
	}
	return &http.Client{
		Transport: tr,
		Timeout:   timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}
