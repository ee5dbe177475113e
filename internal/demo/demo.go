// Package demo sets up the demo app of the embedded default: a shop app
// with generated users and events, example segments and an API key, so
// that a first `segmentd serve` has something to query.
package demo

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path"
	"sort"
	"strings"
	"time"

	"github.com/segmentd/segmentd/internal/api"
	"github.com/segmentd/segmentd/internal/dataset"
	"github.com/segmentd/segmentd/internal/engine"
	"github.com/segmentd/segmentd/internal/record"
	"github.com/segmentd/segmentd/internal/store"
	"github.com/segmentd/segmentd/segment"
)

// AppID and TimeZone of the demo app.
const (
	AppID    = "demo"
	TimeZone = "Asia/Tokyo"
)

//go:embed segments/*.json
var segmentFiles embed.FS

// Store is what the demo needs of the segment store.
type Store interface {
	GetApp(ctx context.Context, appID string) (store.App, error)
	CreateApp(ctx context.Context, a store.App) (store.App, error)
	CreateKey(ctx context.Context, k store.Key) error
	CreateSegment(ctx context.Context, seg store.Segment) (store.Segment, error)
}

// Data is what the demo needs of the engine.
type Data interface {
	DeleteApp(ctx context.Context, appID string) error
	Load(ctx context.Context, appID string, d *dataset.Data) error
}

// Config sizes the demo.
type Config struct {
	Users, Events int
	// KeyFile keeps the demo app's key, so that every start can print it.
	KeyFile string
	// Now is the end of the generated history; zero is the current time.
	Now time.Time
}

// Result says what Ensure found or made.
type Result struct {
	Created       bool
	Key           string
	Users, Events int
}

// Ensure creates the demo app unless it exists. The data is loaded first
// and the app record written last, so a start that dies half way leaves no
// app and the next start begins again (dropping the partial data).
func Ensure(ctx context.Context, st Store, data Data, cfg Config, log *slog.Logger) (Result, error) {
	_, err := st.GetApp(ctx, AppID)
	if err == nil {
		key, err := readKey(ctx, st, cfg.KeyFile)
		return Result{Key: key}, err
	}
	if !errors.Is(err, record.ErrNotFound) {
		return Result{}, err
	}
	now := cfg.Now
	if now.IsZero() {
		now = time.Now()
	}
	now = now.UTC().Truncate(time.Millisecond)
	log.Info("generating the demo app: a minute at most, once", "users", cfg.Users, "events", cfg.Events)
	d := dataset.Generate(dataset.Config{
		Users: cfg.Users, Events: cfg.Events, Seed: 1,
		Start: now.AddDate(-1, -1, 0), End: now, AsOf: now, TimeZone: TimeZone,
	})
	if err := data.DeleteApp(ctx, AppID); err != nil {
		return Result{}, err
	}
	if err := data.Load(ctx, AppID, d); err != nil {
		return Result{}, err
	}
	if _, err := st.CreateApp(ctx, store.App{ID: AppID, TimeZone: TimeZone}); err != nil {
		return Result{}, err
	}
	trees, err := createSegments(ctx, st)
	if err != nil {
		return Result{}, err
	}
	// As a save through the API does (query.KeepTyped).
	if err := engine.TypeTrees(ctx, data, trees...); err != nil {
		return Result{}, err
	}
	key, err := newKey(ctx, st, cfg.KeyFile)
	return Result{Created: true, Key: key, Users: len(d.Users), Events: len(d.Events)}, err
}

// createSegments saves the example segments under their file names as
// IDs, referenced ones first.
func createSegments(ctx context.Context, st Store) ([]segment.Node, error) {
	names, err := fs.Glob(segmentFiles, "segments/*.json")
	if err != nil {
		return nil, err
	}
	var trees []segment.Node
	sort.Strings(names)
	// A segment that references others sorts after them by name only by
	// luck, so save in rounds until all are in.
	pending := names
	for len(pending) > 0 {
		var next []string
		for _, name := range pending {
			seg, err := readSegment(name)
			if err != nil {
				return nil, err
			}
			if _, err := st.CreateSegment(ctx, seg); errors.Is(err, record.ErrNotFound) {
				next = append(next, name) // references a segment not saved yet
				continue
			} else if err != nil {
				return nil, fmt.Errorf("%s: %w", name, err)
			}
			tree, err := segment.Decode([]byte(seg.Tree), "")
			if err != nil {
				return nil, fmt.Errorf("%s: %w", name, err)
			}
			trees = append(trees, tree)
		}
		if len(next) == len(pending) {
			return nil, fmt.Errorf("demo segments reference missing segments: %v", next)
		}
		pending = next
	}
	return trees, nil
}

func readSegment(name string) (store.Segment, error) {
	b, err := segmentFiles.ReadFile(name)
	if err != nil {
		return store.Segment{}, err
	}
	var body struct {
		Name        string          `json:"name"`
		Description string          `json:"description"`
		Tree        json.RawMessage `json:"tree"`
	}
	if err := json.Unmarshal(b, &body); err != nil {
		return store.Segment{}, fmt.Errorf("%s: %w", name, err)
	}
	tree, err := segment.Decode(body.Tree, "/tree")
	if err != nil {
		return store.Segment{}, fmt.Errorf("%s: %w", name, err)
	}
	return store.Segment{
		AppID: AppID, ID: strings.TrimSuffix(path.Base(name), ".json"),
		Name: body.Name, Description: body.Description, Tree: tree.String(), Refs: segment.References(tree),
	}, nil
}

func newKey(ctx context.Context, st Store, file string) (string, error) {
	text, k := api.NewKey(AppID)
	if err := st.CreateKey(ctx, k); err != nil {
		return "", err
	}
	if err := os.WriteFile(file, []byte(text+"\n"), 0o600); err != nil {
		return "", err
	}
	return text, nil
}

// readKey returns the kept demo key, or makes a new one if the file is
// gone.
func readKey(ctx context.Context, st Store, file string) (string, error) {
	b, err := os.ReadFile(file)
	if errors.Is(err, os.ErrNotExist) {
		return newKey(ctx, st, file)
	}
	return strings.TrimSpace(string(b)), err
}
