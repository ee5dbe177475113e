package segbench

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strings"
	"time"
)

// s3Client puts and deletes objects on an S3-compatible server (path-style
// requests, AWS Signature Version 4), for the one file the history load
// stages there: segmentd itself never talks to S3 (Trino's hive catalog
// does), so it carries no S3 library, and a signed PUT is all this needs.
type s3Client struct {
	endpoint, region, access, secret string
}

// newS3Client takes the credentials from AWS_ACCESS_KEY_ID and
// AWS_SECRET_ACCESS_KEY, and the region from AWS_REGION (us-east-1 when
// unset), as every S3 tool does; deploy/local/minio.sh env prints them.
func newS3Client(endpoint string) (*s3Client, error) {
	c := &s3Client{endpoint: strings.TrimRight(endpoint, "/"), region: os.Getenv("AWS_REGION"),
		access: os.Getenv("AWS_ACCESS_KEY_ID"), secret: os.Getenv("AWS_SECRET_ACCESS_KEY")}
	if c.region == "" {
		c.region = "us-east-1"
	}
	if u, err := url.Parse(c.endpoint); err != nil || u.Host == "" {
		return nil, fmt.Errorf("segbench: --s3-endpoint %q: want a URL such as http://127.0.0.1:9000", endpoint)
	}
	if c.access == "" || c.secret == "" {
		return nil, fmt.Errorf("segbench: loading history into S3 needs AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (deploy/local/minio.sh env prints them)")
	}
	return c, nil
}

// s3Location is an s3://bucket/prefix/ URL split in two.
type s3Location struct{ bucket, prefix string }

// The bucket and keys this file names: no character needs escaping in a
// signed path.
var s3URLRE = regexp.MustCompile(`^s3://([a-z0-9.-]+)/([A-Za-z0-9_./-]*)$`)

func parseS3(location string) (s3Location, error) {
	m := s3URLRE.FindStringSubmatch(location)
	if m == nil || !strings.HasSuffix(location, "/") {
		return s3Location{}, fmt.Errorf("segbench: %q: want s3://bucket/prefix/", location)
	}
	return s3Location{bucket: m[1], prefix: m[2]}, nil
}

func (l s3Location) String() string { return "s3://" + l.bucket + "/" + l.prefix }

// put uploads a local file as the object key.
func (c *s3Client) put(ctx context.Context, bucket, key, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	return c.do(ctx, http.MethodPut, bucket, key, f, st.Size())
}

// delete deletes the object key (deleting a missing key succeeds).
func (c *s3Client) delete(ctx context.Context, bucket, key string) error {
	return c.do(ctx, http.MethodDelete, bucket, key, nil, 0)
}

// do sends a signed request. The payload is not hashed
// (UNSIGNED-PAYLOAD): the file may be gigabytes, and reading it twice
// would cost more than the upload on a local network.
func (c *s3Client) do(ctx context.Context, method, bucket, key string, body io.Reader, size int64) error {
	path := "/" + bucket + "/" + key
	req, err := http.NewRequestWithContext(ctx, method, c.endpoint+path, body)
	if err != nil {
		return err
	}
	req.ContentLength = size
	now := time.Now().UTC()
	stamp, day := now.Format("20060102T150405Z"), now.Format("20060102")
	const payload = "UNSIGNED-PAYLOAD"
	req.Header.Set("x-amz-date", stamp)
	req.Header.Set("x-amz-content-sha256", payload)
	const signed = "host;x-amz-content-sha256;x-amz-date"
	canonical := method + "\n" + path + "\n\n" +
		"host:" + req.URL.Host + "\nx-amz-content-sha256:" + payload + "\nx-amz-date:" + stamp + "\n\n" +
		signed + "\n" + payload
	scope := day + "/" + c.region + "/s3/aws4_request"
	sum := sha256.Sum256([]byte(canonical))
	toSign := "AWS4-HMAC-SHA256\n" + stamp + "\n" + scope + "\n" + hex.EncodeToString(sum[:])
	key4 := []byte("AWS4" + c.secret)
	for _, part := range []string{day, c.region, "s3", "aws4_request"} {
		key4 = hmacSum(key4, part)
	}
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential="+c.access+"/"+scope+
		", SignedHeaders="+signed+", Signature="+hex.EncodeToString(hmacSum(key4, toSign)))
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("segbench: S3 %s %s: %w", method, path, err)
	}
	defer res.Body.Close()
	msg, _ := io.ReadAll(io.LimitReader(res.Body, 4<<10))
	if res.StatusCode >= 300 {
		return fmt.Errorf("segbench: S3 %s %s: %s: %s", method, path, res.Status, msg)
	}
	return nil
}

func hmacSum(key []byte, s string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(s))
	return m.Sum(nil)
}
