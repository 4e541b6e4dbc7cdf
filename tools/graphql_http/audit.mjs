// graphql-http's server audits (GraphQL over HTTP conformance) against CRM_AUDIT_URL, each
// request carrying CRM_AUDIT_TOKEN as a bearer token. Prints one line per audit and, last,
// a JSON summary line; exits 1 on any error or warning.
import { serverAudits } from 'graphql-http';

const url = process.env.CRM_AUDIT_URL;
const token = process.env.CRM_AUDIT_TOKEN;
if (!url || !token) {
  console.error('set CRM_AUDIT_URL and CRM_AUDIT_TOKEN');
  process.exit(2);
}

function withToken(input, init = {}) {
  const headers = new Headers(init.headers);
  headers.set('authorization', `Bearer ${token}`);
  return fetch(input, { ...init, headers });
}

const counts = { ok: 0, notice: 0, warn: 0, error: 0 };
for (const audit of serverAudits({ url, fetchFn: withToken })) {
  const result = await audit.fn();
  counts[result.status] += 1;
  const reason = result.status === 'ok' ? '' : ` - ${result.reason}`;
  console.log(`${result.status.padEnd(6)} ${result.id} ${result.name}${reason}`);
}
console.log(JSON.stringify(counts));
process.exit(counts.error || counts.warn ? 1 : 0);
