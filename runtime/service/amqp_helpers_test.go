package service_test

import (
	"testing"

	"github.com/evgenhq/evgen/internal/servicetest"
	"github.com/evgenhq/evgen/runtime/service"
)

// broker is a test's view of the real RabbitMQ; see servicetest.Broker.
type broker = servicetest.Broker

var (
	newBroker   = servicetest.NewBroker
	brokerAt    = servicetest.BrokerAt
	publishMany = servicetest.PublishMany
	rabbitmqctl = servicetest.Rabbitmqctl
)

// ready waits until svc declared its topology and consumes.
func ready(t *testing.T, svc *service.Service) {
	t.Helper()
	servicetest.Ready(t, svc)
}
