// Validates AsyncAPI documents with the official parser: prints every
// diagnostic as "file: severity: path: message" and exits 1 when any is
// an error or a warning, so that a document evgen writes stays clean.
import { readFileSync } from 'node:fs';
import { Parser } from '@asyncapi/parser';

const severities = ['error', 'warning', 'info', 'hint'];
const parser = new Parser();
let failed = false;
for (const path of process.argv.slice(2)) {
  const { document, diagnostics } = await parser.parse(readFileSync(path, 'utf8'), { source: path });
  for (const d of diagnostics) {
    const severity = severities[d.severity] ?? String(d.severity);
    console.log(`${path}: ${severity}: ${d.path.join('.')}: ${d.message} (${d.code})`);
    if (d.severity <= 1) failed = true;
  }
  if (!document) failed = true;
}
process.exit(failed ? 1 : 0);
