package service

import amqptransport "github.com/evgenhq/evgen/runtime/transport/amqp"

// Marshaler converts between Watermill messages built by Publish and AMQP
// publishings; see amqp.Marshaler of runtime/transport/amqp, where it
// lives with the rest of the AMQP transport.
type Marshaler = amqptransport.Marshaler

// HeaderString formats an AMQP header value of any type as text, as the
// Marshaler does for the metadata of a delivered event; see
// amqp.HeaderString.
func HeaderString(v any) string { return amqptransport.HeaderString(v) }
