package schema

import "fmt"

// ProducerDecl is a service that a generated package's service consumes
// from, with the Go name of the function that syncs from its event log.
type ProducerDecl struct {
	Service  *Service
	SyncFunc string      // "SyncFrom" + the producer's Go name: users -> SyncFromUsers
	Consumes []*Consumed // the entries consumed from it, in Service.Consumes order
}

// declareProducers declares one sync function per producer the service
// consumes from. Service.Consumes is sorted by producer, so the producers
// come out sorted by name.
func (s *scope) declareProducers(pkg *Package) {
	var last *ProducerDecl
	for _, c := range s.f.svc.Consumes {
		if last != nil && last.Service == c.Event.Service {
			last.Consumes = append(last.Consumes, c)
			continue
		}
		last = &ProducerDecl{Service: c.Event.Service, SyncFunc: "SyncFrom" + goName(c.Event.Service.Name), Consumes: []*Consumed{c}}
		if prev := s.owner(last.SyncFunc); prev != "" {
			s.f.e.add(c.Pos, "the generated function %s, which syncs from the event log of %s, collides in package %s with %s; rename that",
				last.SyncFunc, c.Event.Service.Name, pkg.Name, prev)
		}
		s.take(last.SyncFunc, fmt.Sprintf("the generated %s", last.SyncFunc))
		pkg.Producers = append(pkg.Producers, last)
	}
}
