// Command mkbucket creates an S3 bucket (idempotently) on an S3-compatible
// server such as the local MinIO, using one AWS Signature V4 signed,
// path-style PUT and nothing but the standard library. With -list it instead
// lists the object keys under a prefix (ListObjectsV2, first 1000 keys), and
// with -delete it deletes the objects under a prefix.
//
// Used by deploy/local/minio.sh and deploy/local/smoke.sh:
//
//	go run ./deploy/local/mkbucket -endpoint http://127.0.0.1:9000 segmentd
//	go run ./deploy/local/mkbucket -list warehouse/ segmentd
//	go run ./deploy/local/mkbucket -delete smoke/ segmentd
//
// Credentials come from -access-key/-secret-key or AWS_ACCESS_KEY_ID /
// AWS_SECRET_ACCESS_KEY.
package main

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"sort"
	"strings"
	"time"
)

func main() {
	endpoint := flag.String("endpoint", envOr("S3_ENDPOINT", "http://127.0.0.1:9000"), "S3 endpoint URL")
	region := flag.String("region", envOr("AWS_REGION", "us-east-1"), "region used in the signature")
	access := flag.String("access-key", os.Getenv("AWS_ACCESS_KEY_ID"), "access key")
	secret := flag.String("secret-key", os.Getenv("AWS_SECRET_ACCESS_KEY"), "secret key")
	list := flag.String("list", "", "list object keys under this prefix instead of creating the bucket (\"/\" for all)")
	del := flag.String("delete", "", "delete the objects under this prefix instead of creating the bucket")
	timeout := flag.Duration("timeout", 10*time.Second, "request timeout")
	flag.Parse()
	if flag.NArg() != 1 || *access == "" || *secret == "" {
		fmt.Fprintln(os.Stderr, "usage: mkbucket [-endpoint URL] [-access-key K -secret-key S] [-list PREFIX] BUCKET")
		os.Exit(2)
	}
	c := client{endpoint: strings.TrimRight(*endpoint, "/"), region: *region, access: *access, secret: *secret,
		http: &http.Client{Timeout: *timeout}}
	bucket := flag.Arg(0)
	var err error
	switch {
	case *list != "":
		var keys []object
		if keys, err = c.list(bucket, strings.TrimPrefix(*list, "/")); err == nil {
			for _, o := range keys {
				fmt.Printf("%d\t%s\n", o.Size, o.Key)
			}
		}
	case *del != "":
		err = c.deletePrefix(bucket, strings.TrimPrefix(*del, "/"))
	default:
		err = c.makeBucket(bucket)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "mkbucket:", err)
		os.Exit(1)
	}
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

type client struct {
	endpoint, region, access, secret string
	http                             *http.Client
}

func (c client) makeBucket(bucket string) error {
	resp, body, err := c.do(http.MethodPut, "/"+bucket, nil)
	if err != nil {
		return err
	}
	switch {
	case resp.StatusCode == http.StatusOK:
		fmt.Printf("created bucket %s\n", bucket)
		return nil
	case resp.StatusCode == http.StatusConflict && strings.Contains(string(body), "BucketAlreadyOwnedByYou"):
		fmt.Printf("bucket %s exists\n", bucket)
		return nil
	default:
		return fmt.Errorf("PUT /%s: %s: %s", bucket, resp.Status, body)
	}
}

type object struct {
	Key  string `xml:"Key"`
	Size int64  `xml:"Size"`
}

// deletePrefix deletes every object under prefix (one DELETE each, in
// rounds of up to 1000 listed keys).
func (c client) deletePrefix(bucket, prefix string) error {
	if prefix == "" {
		return fmt.Errorf("refusing to delete a whole bucket: give a non-empty prefix")
	}
	n := 0
	for {
		objs, err := c.list(bucket, prefix)
		if err != nil {
			return err
		}
		if len(objs) == 0 {
			break
		}
		for _, o := range objs {
			resp, body, err := c.do(http.MethodDelete, "/"+bucket+"/"+escapePath(o.Key), nil)
			if err != nil {
				return err
			}
			if resp.StatusCode != http.StatusNoContent && resp.StatusCode != http.StatusOK {
				return fmt.Errorf("DELETE /%s/%s: %s: %s", bucket, o.Key, resp.Status, body)
			}
			n++
		}
	}
	fmt.Printf("deleted %d objects under %s/%s\n", n, bucket, prefix)
	return nil
}

func escapePath(key string) string {
	parts := strings.Split(key, "/")
	for i, p := range parts {
		parts[i] = uriEscape(p)
	}
	return strings.Join(parts, "/")
}

func (c client) list(bucket, prefix string) ([]object, error) {
	q := url.Values{"list-type": {"2"}, "max-keys": {"1000"}}
	if prefix != "" {
		q.Set("prefix", prefix)
	}
	resp, body, err := c.do(http.MethodGet, "/"+bucket, q)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET /%s?%s: %s: %s", bucket, q.Encode(), resp.Status, body)
	}
	var out struct {
		Contents []object `xml:"Contents"`
	}
	if err := xml.Unmarshal(body, &out); err != nil {
		return nil, fmt.Errorf("parsing ListObjectsV2 answer: %w", err)
	}
	return out.Contents, nil
}

// do sends an empty-bodied request signed with AWS Signature Version 4.
func (c client) do(method, path string, query url.Values) (*http.Response, []byte, error) {
	u, err := url.Parse(c.endpoint + path)
	if err != nil {
		return nil, nil, err
	}
	canonQuery := canonicalQuery(query)
	u.RawQuery = canonQuery
	req, err := http.NewRequest(method, u.String(), nil)
	if err != nil {
		return nil, nil, err
	}
	now := time.Now().UTC()
	amzDate := now.Format("20060102T150405Z")
	day := now.Format("20060102")
	payloadHash := sha256Hex(nil)
	req.Header.Set("x-amz-date", amzDate)
	req.Header.Set("x-amz-content-sha256", payloadHash)

	signedHeaders := "host;x-amz-content-sha256;x-amz-date"
	canonicalRequest := strings.Join([]string{
		method,
		u.EscapedPath(),
		canonQuery,
		"host:" + u.Host + "\n" + "x-amz-content-sha256:" + payloadHash + "\n" + "x-amz-date:" + amzDate + "\n",
		signedHeaders,
		payloadHash,
	}, "\n")
	scope := day + "/" + c.region + "/s3/aws4_request"
	stringToSign := "AWS4-HMAC-SHA256\n" + amzDate + "\n" + scope + "\n" + sha256Hex([]byte(canonicalRequest))
	key := hmacSHA256([]byte("AWS4"+c.secret), day)
	key = hmacSHA256(key, c.region)
	key = hmacSHA256(key, "s3")
	key = hmacSHA256(key, "aws4_request")
	signature := hex.EncodeToString(hmacSHA256(key, stringToSign))
	req.Header.Set("Authorization", fmt.Sprintf("AWS4-HMAC-SHA256 Credential=%s/%s, SignedHeaders=%s, Signature=%s",
		c.access, scope, signedHeaders, signature))

	resp, err := c.http.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	return resp, body, err
}

// canonicalQuery encodes the query as SigV4 wants it: keys sorted, RFC 3986
// escaping (spaces as %20).
func canonicalQuery(q url.Values) string {
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		vs := append([]string(nil), q[k]...)
		sort.Strings(vs)
		for _, v := range vs {
			parts = append(parts, uriEscape(k)+"="+uriEscape(v))
		}
	}
	return strings.Join(parts, "&")
}

func uriEscape(s string) string {
	var b strings.Builder
	for _, c := range []byte(s) {
		if 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~' {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

func sha256Hex(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

func hmacSHA256(key []byte, s string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(s))
	return m.Sum(nil)
}
