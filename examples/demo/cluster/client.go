package cluster

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// Client talks JSON to one service's HTTP API.
type Client struct {
	base string
	http *http.Client
}

func newClient(addr string) *Client {
	return &Client{base: "http://" + addr, http: &http.Client{Timeout: 10 * time.Second}}
}

// URL is the service's base URL, such as http://127.0.0.1:8081.
func (c *Client) URL() string { return c.base }

// APIError is an answer other than 2xx, with the service's error message.
type APIError struct {
	Method, Path string
	Status       int
	Message      string
}

func (e *APIError) Error() string {
	return fmt.Sprintf("%s %s: %d %s", e.Method, e.Path, e.Status, e.Message)
}

// Do sends body (when not nil) as JSON and decodes a 2xx answer into out
// (when not nil); any other answer is an *APIError.
func (c *Client) Do(ctx context.Context, method, path string, body, out any) error {
	var in io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return fmt.Errorf("encode request: %w", err)
		}
		in = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, in)
	if err != nil {
		return err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return fmt.Errorf("%s %s: read answer: %w", method, path, err)
	}
	if resp.StatusCode/100 != 2 {
		var e struct{ Error string }
		if json.Unmarshal(data, &e) != nil || e.Error == "" {
			e.Error = string(data)
		}
		return &APIError{Method: method, Path: path, Status: resp.StatusCode, Message: e.Error}
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("%s %s: decode answer: %w", method, path, err)
	}
	return nil
}

// Healthy reports whether GET /healthz answers 200.
func (c *Client) Healthy(ctx context.Context) bool {
	return c.Do(ctx, http.MethodGet, "/healthz", nil, nil) == nil
}

// Counter sums the service's Prometheus counter (or gauge) name over the
// series whose labels include labels.
func (c *Client) Counter(ctx context.Context, name string, labels map[string]string) (float64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+"/metrics", nil)
	if err != nil {
		return 0, err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		return 0, fmt.Errorf("parse %s/metrics: %w", c.base, err)
	}
	var sum float64
	for _, m := range families[name].GetMetric() {
		if hasLabels(m.GetLabel(), labels) {
			sum += m.GetCounter().GetValue() + m.GetGauge().GetValue()
		}
	}
	return sum, nil
}

func hasLabels[L interface {
	GetName() string
	GetValue() string
}](have []L, want map[string]string) bool {
	matched := 0
	for _, l := range have {
		if v, ok := want[l.GetName()]; ok && v == l.GetValue() {
			matched++
		}
	}
	return matched == len(want)
}
