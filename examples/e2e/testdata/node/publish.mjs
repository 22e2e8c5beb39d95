// Publishes one users.UserRegistered v1 event as evgen's runtime does, so
// that evgen consumers (billing) apply it: a users service written in
// Node.js. The payload is the first argument, as JSON; the event ID is
// printed once the broker confirmed the event.
//
//   AMQP_URL=amqp://users:secret@127.0.0.1:5672/ EVGEN_NAMESPACE=evgen \
//     node publish.mjs '{"user_id":"...","email":"ada@example.com","plan":"pro","version":1,"registered_at":"2026-01-02T03:04:05Z"}'
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
const id = randomUUID(); // evgen's inbox drops a second event with this ID
const now = new Date();

const conn = await amqp.connect(url);
try {
  const ch = await conn.createConfirmChannel();
  // Fails clearly when the exchange is missing; needs no permission.
  await ch.checkExchange(exchange);
  let returned = false;
  ch.on('return', () => { returned = true; });
  ch.publish(exchange, routingKey, Buffer.from(JSON.stringify(data)), {
    persistent: true,
    mandatory: true, // an event nothing is bound for comes back
    contentType: 'application/json',
    messageId: id,
    type,
    timestamp: Math.floor(now.getTime() / 1000),
    headers: {
      'cloudEvents:specversion': '1.0',
      'cloudEvents:id': id,
      'cloudEvents:source': producer,
      'cloudEvents:type': type,
      'cloudEvents:eventversion': String(version),
      // A string: evgen reads no Date header.
      'cloudEvents:time': now.toISOString(),
      'cloudEvents:subject': data.user_id, // the event's key
      'cloudEvents:correlationid': id, // a new conversation starts here
    },
  });
  await ch.waitForConfirms();
  if (returned) {
    throw new Error(`nothing is bound to ${exchange} for ${routingKey}, not even ${producer}'s event log: check the namespace`);
  }
  console.log(id);
} finally {
  await conn.close();
}
