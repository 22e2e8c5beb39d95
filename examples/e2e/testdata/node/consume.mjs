// Consumes users.UserRegistered v1 events that an evgen service publishes,
// as a Node.js service called mailer would: its own quorum queue, bound
// to users' exchange, with a dead-letter queue for what it cannot read.
// Prints "ready" once bound, then each event as one JSON line, and exits
// after the number of events given as the first argument (default: never).
//
//   AMQP_URL=amqp://mailer:secret@127.0.0.1:5672/ EVGEN_NAMESPACE=evgen node consume.mjs
import amqp from 'amqplib';

const url = process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672/';
const namespace = process.env.EVGEN_NAMESPACE ?? 'evgen';
const limit = Number(process.argv[2] ?? Infinity);

const service = 'mailer';
const queue = `${namespace}.${service}.queue`;
const dlq = `${namespace}.${service}.dlq`;
const exchange = `${namespace}.users`;
const wanted = { 'users.UserRegistered': 1 }; // type -> version

const conn = await amqp.connect(url);
const ch = await conn.createChannel();
// Declared as evgen's runtime declares its exchanges, so that either side
// may start first.
await ch.assertExchange(exchange, 'topic', { durable: true });
await ch.assertQueue(dlq, { durable: true, arguments: { 'x-queue-type': 'quorum' } });
await ch.assertQueue(queue, {
  durable: true,
  arguments: { 'x-queue-type': 'quorum', 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': dlq },
});
for (const [type, version] of Object.entries(wanted)) {
  await ch.bindQueue(queue, exchange, `${type}.v${version}`);
}
await ch.prefetch(16);
console.log('ready');

let seen = 0;
await ch.consume(queue, (msg) => {
  let event;
  try {
    event = read(msg);
  } catch (err) {
    console.error(`dead-lettering ${msg.properties.messageId}: ${err.message}`);
    ch.nack(msg, false, false); // to the dead-letter queue, not redelivered
    return;
  }
  console.log(JSON.stringify(event));
  ch.ack(msg);
  if (++seen >= limit) {
    conn.close();
  }
});

// read checks a delivery as evgen's runtime does and returns the event:
// its CloudEvents attributes from the headers, under either prefix of the
// AMQP binding (evgen writes cloudEvents:), its data from the body.
function read(msg) {
  const h = msg.properties.headers ?? {};
  const attr = (name) => h[`cloudEvents:${name}`] ?? h[`cloudEvents_${name}`];
  const id = attr('id') || msg.properties.messageId;
  const type = attr('type') || msg.properties.type;
  const version = Number(attr('eventversion') ?? msg.fields.routingKey.split('.v').pop());
  if (!id) throw new Error('no event ID (cloudEvents:id or message-id)');
  if (!String(attr('specversion') ?? '').startsWith('1.')) throw new Error(`specversion ${attr('specversion')}: want 1.x`);
  if (wanted[type] !== version) throw new Error(`${type} v${version} is not an event this service reads`);
  return {
    id,
    type,
    version,
    source: attr('source'),
    subject: attr('subject'),
    time: attr('time'),
    dataschema: attr('dataschema'),
    correlationid: attr('correlationid'),
    causationid: attr('causationid'),
    publishedby: msg.properties.userId, // the broker user, which RabbitMQ checked
    data: JSON.parse(msg.content.toString('utf8')),
  };
}
