package site

import (
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/evgenhq/evgen/schema"
)

// TestSiteStructure checks every page of the examples' catalog: the set
// of files, links that resolve inside the site, nothing fetched from
// elsewhere, and the picture and facts each page must show.
func TestSiteStructure(t *testing.T) {
	set := examples(t)
	files := generate(t, set)
	want := []string{indexFile, styleFile}
	for _, s := range set.Services {
		want = append(want, serviceFile(s.Name))
		for _, ev := range s.Events {
			want = append(want, eventFile(ev.Type), schemaFile(ev))
		}
	}
	var got []string
	for name := range files {
		got = append(got, name)
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("files:\n%v\nwant:\n%v", got, want)
	}
	for name, data := range files {
		if strings.HasSuffix(name, ".html") {
			checkPage(t, name, string(data), files)
		}
	}
	checkIndex(t, set, string(files[indexFile]))
	for _, s := range set.Services {
		checkService(t, s, string(files[serviceFile(s.Name)]))
		for _, ev := range s.Events {
			checkEvent(t, ev, string(files[eventFile(ev.Type)]))
		}
	}
}

var (
	hrefPattern = regexp.MustCompile(`(?:href|src)="([^"]*)"`)
	nodePattern = regexp.MustCompile(`<a class="node [^"]*" href="([^"]+)">`)
)

// checkPage checks what every page must hold: links to files of the site,
// no script and nothing that would be fetched from the network, and the
// picture.
func checkPage(t *testing.T, name, page string, files map[string][]byte) {
	t.Helper()
	for _, m := range hrefPattern.FindAllStringSubmatch(page, -1) {
		target, _, _ := strings.Cut(m[1], "#")
		if _, ok := files[target]; !ok {
			t.Errorf("%s: link %q names no file of the site", name, m[1])
		}
	}
	for _, banned := range []string{"<script", "<img", "<iframe", "@import", "url(http"} {
		if strings.Contains(page, banned) {
			t.Errorf("%s holds %q: the catalog must load nothing", name, banned)
		}
	}
	if !strings.Contains(page, "<svg ") || len(nodePattern.FindAllString(page, -1)) < 2 {
		t.Errorf("%s: no picture with linked nodes", name)
	}
}

func checkIndex(t *testing.T, set *schema.Set, page string) {
	t.Helper()
	events := 0
	for _, s := range set.Services {
		events += len(s.Events)
		mustContain(t, indexFile, page, `href="`+serviceFile(s.Name)+`"`)
		for _, ev := range s.Events {
			mustContain(t, indexFile, page, `href="`+eventFile(ev.Type)+`"`)
		}
	}
	// Both services publish and consume: each stands in both outer columns.
	if n, want := len(nodePattern.FindAllString(page, -1)), events+2*len(set.Services); n != want {
		t.Errorf("index: %d nodes in the picture, want %d", n, want)
	}
	// The deletion saga: billing answers the request twice over, users
	// completes or compensates.
	for _, want := range []string{
		"<title>billing publishes billing.AccountClosed when it handles users.UserDeletionRequested</title>",
		"<title>billing publishes billing.AccountClosureRejected when it handles users.UserDeletionRequested</title>",
		"<title>users publishes users.UserDeleted when it handles billing.AccountClosed</title>",
		"<title>users publishes users.UserReactivated when it handles billing.AccountClosureRejected</title>",
	} {
		mustContain(t, indexFile, page, want)
	}
	if n := strings.Count(page, `<path class="reaction"`); n != 4 {
		t.Errorf("index: %d reactions drawn, want 4", n)
	}
}

// checkService looks for the names the runtime declares for the service.
func checkService(t *testing.T, s *schema.Service, page string) {
	t.Helper()
	name := serviceFile(s.Name)
	for _, want := range []string{"<code>evgen." + s.Name + "</code>", "<code>evgen." + s.Name + ".dlq</code>",
		"<code>evgen." + s.Name + ".log</code>", `class="node service current" href="` + name + `"`} {
		mustContain(t, name, page, want)
	}
	for _, cd := range s.Consumes {
		mustContain(t, name, page, "<code>"+routingKey(cd.Event)+"</code>")
		for _, ev := range cd.Emits {
			mustContain(t, name, page, "<title>"+s.Name+" publishes "+ev.Type+" when it handles "+cd.Event.Type+"</title>")
		}
	}
}

func checkEvent(t *testing.T, ev *schema.Event, page string) {
	t.Helper()
	name := eventFile(ev.Type)
	for _, fd := range ev.Fields {
		mustContain(t, name, page, "<code>"+fd.Name+"</code>")
	}
	mustContain(t, name, page, `href="`+schemaFile(ev)+`"`)
	mustContain(t, name, page, `class="node event current"`)
	if ev.Key != nil {
		mustContain(t, name, page, "<code>"+ev.Key.Name+"</code> <span class=\"key\">key</span>")
	}
}

func mustContain(t *testing.T, name, page, want string) {
	t.Helper()
	if !strings.Contains(page, want) {
		t.Errorf("%s lacks %q", name, want)
	}
}

// TestNamespace shows the runtime's names under another namespace, and
// refuses one the runtime refuses.
func TestNamespace(t *testing.T) {
	files, err := Generate(examples(t), Options{Namespace: "shop"})
	if err != nil {
		t.Fatal(err)
	}
	mustContain(t, "service.billing.html", string(files["service.billing.html"]), "<code>shop.billing.dlq</code>")
	if _, err := Generate(examples(t), Options{Namespace: "a.b"}); err == nil || !strings.Contains(err.Error(), "has a dot") {
		t.Errorf("namespace a.b: err %v, want the runtime's refusal", err)
	}
}

// TestEveryTemplateCase builds the catalog of every contract set the
// generator's tests use (every built-in type, renames with as:, snapshots,
// fifty services, services that only publish or only consume) and checks
// that each link names a file of the site.
func TestEveryTemplateCase(t *testing.T) {
	cases, err := filepath.Glob("../templates/testdata/*")
	if err != nil || len(cases) == 0 {
		t.Fatalf("no cases: %v", err)
	}
	for _, dir := range cases {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			set, err := schema.Load(dir)
			if err != nil {
				t.Fatal(err)
			}
			files := generate(t, set)
			for name, data := range files {
				for _, m := range hrefPattern.FindAllStringSubmatch(string(data), -1) {
					if target, _, _ := strings.Cut(m[1], "#"); files[target] == nil {
						t.Errorf("%s: link %q names no file of the site", name, m[1])
					}
				}
			}
		})
	}
}

// TestEventPageDrawsItsReactions expects an event's page to draw the
// reactions it causes and the one that caused it, with the events at
// their other end linked, so that a saga can be followed page by page.
func TestEventPageDrawsItsReactions(t *testing.T) {
	files := generate(t, examples(t))
	for _, tc := range []struct {
		page      string
		reactions int
		holds     []string
	}{
		{"event.users.UserDeletionRequested.html", 2, []string{
			"<title>billing publishes billing.AccountClosed when it handles users.UserDeletionRequested</title>",
			"<title>billing publishes billing.AccountClosureRejected when it handles users.UserDeletionRequested</title>",
			`<a class="node event" href="event.billing.AccountClosed.html">`,
		}},
		{"event.billing.AccountClosed.html", 2, []string{
			"<title>billing publishes billing.AccountClosed when it handles users.UserDeletionRequested</title>",
			"<title>users publishes users.UserDeleted when it handles billing.AccountClosed</title>",
		}},
		{"event.users.UserRegistered.html", 0, nil},
	} {
		page := string(files[tc.page])
		for _, want := range tc.holds {
			mustContain(t, tc.page, page, want)
		}
		if n := strings.Count(page, `<path class="reaction"`); n != tc.reactions {
			t.Errorf("%s: %d reactions drawn, want %d", tc.page, n, tc.reactions)
		}
	}
}
