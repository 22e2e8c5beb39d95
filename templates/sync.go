package templates

import (
	"strings"

	"github.com/dave/jennifer/jen"

	"github.com/evgenhq/evgen/schema"
)

// emitSync renders sync.evgen.go: one function per producer the service
// consumes from, which syncs the service from that producer's event log.
// There is no function for all of them: replay runs handlers again, so
// which logs to replay is the service author's choice, made per producer.
func emitSync(f *jen.File, p *schema.Package) error {
	for i, pr := range p.Producers {
		if i > 0 {
			f.Line()
		}
		emitSyncFrom(f, pr)
	}
	return nil
}

// emitSyncFrom renders the sync function of one producer, with the side
// effects of its replay in its doc comment, where the caller reads them.
func emitSyncFrom(f *jen.File, pr *schema.ProducerDecl) {
	name := pr.Service.Name
	for _, line := range syncDoc(pr) {
		f.Comment("// " + line)
	}
	f.Func().Id(pr.SyncFunc).Params(
		jen.Id("ctx").Qual(pkgContext, "Context"),
		jen.Id("svc").Qual(pkgRuntime, "Syncer"),
		jen.Id("from").Qual(pkgRuntime, "SyncFrom"),
		jen.Id("opts").Qual(pkgRuntime, "SyncOptions"),
	).Params(jen.Qual(pkgRuntime, "SyncProgress"), jen.Error()).Block(
		jen.Return(jen.Id("svc").Dot("Sync").Call(jen.Id("ctx"), jen.Lit(name), jen.Id("from"), jen.Id("opts"))),
	)
}

// syncDoc is the doc comment of a sync function, one line a string.
func syncDoc(pr *schema.ProducerDecl) []string {
	handlers := make([]string, len(pr.Consumes))
	for i, c := range pr.Consumes {
		handlers[i] = "Handle" + c.LocalName
	}
	intro := pr.SyncFunc + " reads the event log of the " + pr.Service.Name + " service through svc's" +
		" handlers and inbox, up to the log's end as of the start; see runtime.Syncer, which" +
		" runtime/service's Service implements." +
		" Register the handlers first."
	replay := "Replay runs " + strings.Join(handlers, ", ") + " again for every event of the log" +
		" that the inbox has not recorded, which is every event for a new or restored database." +
		" Their writes through service.Tx take effect once, as for a live event; the events" +
		" they publish are published again, with new IDs; anything else they do (an email," +
		" a call to another system) happens again. Sync from a producer whose handlers only" +
		" keep state, or make such handlers skip old events (runtime.Meta.Time)." +
		" See docs/recovery.md."
	return append(append(wrap(intro, 76), ""), wrap(replay, 76)...)
}

// wrap breaks text into lines of at most width bytes, at spaces.
func wrap(text string, width int) []string {
	var out []string
	line := ""
	for _, w := range strings.Fields(text) {
		if line != "" && len(line)+1+len(w) > width {
			out = append(out, line)
			line = ""
		}
		if line != "" {
			line += " "
		}
		line += w
	}
	return append(out, line)
}
