// graphql-http's server audits (the GraphQL-over-HTTP spec's own suite) against one URL.
// Usage: node graphql_http_audit.mjs <graphql-http install folder> <url> [bearer token]
// Prints the results as one JSON array: {id, name, status, reason} each.
import { createRequire } from 'node:module';
import path from 'node:path';

const [folder, url, token] = process.argv.slice(2);
const { auditServer } = createRequire(path.join(path.resolve(folder), 'audit.cjs'))('graphql-http');

// With a token, every request the audits make carries it, as an integrator's would.
const fetchFn = token
  ? (input, init = {}) => {
      const headers = new Headers(init.headers);
      headers.set('authorization', `Bearer ${token}`);
      return fetch(input, { ...init, headers });
    }
  : fetch;

const results = await auditServer({ url, fetchFn });
console.log(JSON.stringify(results.map(({ id, name, status, reason }) => ({ id, name, status, reason }))));
