// Publishes one users.UserRegistered v1 event that evgen consumers
// (billing) apply: a users service written in Node.js. The payload is the
// first argument, as JSON; the second is the CloudEvents content mode,
// binary (the default: attributes in cloudEvents_ headers, the JSON payload
// in the body) or structured (the whole event as JSON in the body). The
// event ID is printed once the broker confirmed the event.
//
//   AMQP_URL=amqp://users:secret@127.0.0.1:5672/ EVGEN_NAMESPACE=evgen \
//     node publish.mjs '{"user_id":"...","email":"ada@example.com","plan":"pro","version":1,"registered_at":"2026-01-02T03:04:05Z"}' binary
import amqp from 'amqplib';
import { randomUUID } from 'node:crypto';

const url = process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672/';
const namespace = process.env.EVGEN_NAMESPACE ?? 'evgen';

const producer = 'users';
const type = `${producer}.UserRegistered`; // <producer>.<Event>
const version = 1;
const exchange = `${namespace}.${producer}`; // evgen topology lists it
const routingKey = `${type}.v${version}`; // what consumers bind with

const data = JSON.parse(process.argv[2]);
const mode = process.argv[3] ?? 'binary';
const id = randomUUID(); // evgen's inbox drops a second event with this ID

// The CloudEvents attributes. Strings all: a JavaScript Date would
// arrive as an AMQP table, which evgen dead-letters.
const attributes = {
  specversion: '1.0',
  id,
  source: producer, // the producing service, as the type names it
  type,
  eventversion: String(version), // optional: the routing key says it too
  time: new Date().toISOString(),
  subject: data.user_id, // the event's key
  correlationid: id, // a new conversation starts here
};

const options = {
  persistent: true,
  mandatory: true, // an event nothing is bound for comes back
  messageId: id,
  // The broker user this connection logs in as: RabbitMQ refuses another,
  // and consumers that verify publishers dead-letter an event without it.
  userId: decodeURIComponent(new URL(url).username),
};
let body;
if (mode === 'structured') {
  options.contentType = 'application/cloudevents+json';
  body = JSON.stringify({ ...attributes, datacontenttype: 'application/json', data });
} else {
  options.contentType = 'application/json';
  options.headers = Object.fromEntries(Object.entries(attributes).map(([k, v]) => [`cloudEvents_${k}`, v]));
  body = JSON.stringify(data);
}

const conn = await amqp.connect(url);
try {
  const ch = await conn.createConfirmChannel();
  // Fails clearly when the exchange is missing; needs no permission.
  await ch.checkExchange(exchange);
  let returned = false;
  ch.on('return', () => { returned = true; });
  ch.publish(exchange, routingKey, Buffer.from(body), options);
  await ch.waitForConfirms();
  if (returned) {
    throw new Error(`nothing is bound to ${exchange} for ${routingKey}, not even ${producer}'s event log: check the namespace`);
  }
  console.log(id);
} finally {
  await conn.close();
}
