// Package runtime is what evgen-generated packages import, and only that:
// the typed event surface (Event, Meta, EventHandler, On, Registrar),
// publishing (Publisher, Publish, PublishOption), the contract a generated
// package describes (Contract, EventInfo), snapshots for resync
// (SnapshotOf, RegisterSnapshots) and what a generated SyncFrom<Producer>
// takes (Syncer, SyncFrom, SyncOptions). Like protobuf-go's runtime/protoimpl,
// it is small and kept stable for generated code; handlers also use
// Permanent and IncomingMeta from it. Publish carries the span of its
// context with the event (trace.go: InjectTrace, ExtractTrace and the
// trace headers, which the engine reads on the other side).
//
// The machinery lives beside it, each layer in its own package:
//
//	runtime/service      the engine: Service, Config, Run, consuming, retries, dead-lettering, metrics,
//	                     the AMQP and in-process transports, sync and resync
//	runtime/recovery     the operator's dead-letter tool (list, redrive, drop)
//	runtime/store        the interfaces a store implements (Store, InboxTx, Outbox, ...)
//	runtime/store/...    memory, sqlite, postgres, open (one DSN), storetest (the conformance suite)
//	runtime/wire         the decoding and checks behind generated Validate and UnmarshalJSON
//
// Imports point one way: the engine and the stores import this package,
// never the reverse. The runtime never imports evgen's schema or templates.
package runtime
