package api

import (
	"fmt"
	"net/http"

	"github.com/segmentd/segmentd/internal/ratelimit"
)

// rateLimit takes a token of the key's bucket for the class, or answers
// 429 rate_limited with Retry-After. The admin key is not limited: it is
// the operator's.
func (s *Server) rateLimit(c ratelimit.Class) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			p := principalOf(r.Context())
			if p.admin {
				next.ServeHTTP(w, r)
				return
			}
			l := s.limits.For(p.appID, c)
			wait, err := s.limiter.Take(r.Context(), p.appID+":"+p.keyID+":"+string(c), l)
			if err != nil {
				s.writeError(w, r, err)
				return
			}
			if wait > 0 {
				s.metrics.rateLimited.WithLabelValues(string(c)).Inc()
				s.writeError(w, r, &Error{Code: CodeRateLimited, RetryAfter: retryAfter(wait),
					Message: fmt.Sprintf("this key is over its %s limit (%s: requests a second, burst)", c, l)})
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}
