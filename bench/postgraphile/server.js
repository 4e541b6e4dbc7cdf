// The peer of bench.peer: PostGraphile 4 over the benchmark database, one Node.js process.
//
//   node bench/postgraphile/server.js PORT CONNECTION_STRING
//
// Environment: POSTGRAPHILE_JWT_SECRET (the API's CRM_SECRET_KEY: the same bearer token is
// verified, as ours verifies it) and POSTGRAPHILE_JWT_ISSUER (the API's token issuer).
// GET /healthz answers 200 once the schema is introspected and built.
"use strict";

const http = require("http");
const { postgraphile } = require("postgraphile");
const PgSimplifyInflectorPlugin = require("@graphile-contrib/pg-simplify-inflector");

const [port, connectionString] = process.argv.slice(2);
if (!port || !connectionString) {
  console.error("usage: node server.js PORT CONNECTION_STRING");
  process.exit(2);
}
const jwtSecret = process.env.POSTGRAPHILE_JWT_SECRET;

// The production options of PostGraphile's "Usage - Library" guide, without watch or GraphiQL.
const middleware = postgraphile(connectionString, "public", {
  // Names close to ours: customers, contacts, deals, stage (not allCustomers, contactsByCustomerId).
  appendPlugins: [PgSimplifyInflectorPlugin],
  watchPg: false,
  graphiql: false,
  enhanceGraphiql: false,
  subscriptions: false,
  retryOnInitFail: false,
  dynamicJson: true,
  setofFunctionsContainNodes: true,
  ignoreRBAC: false,
  ignoreIndexes: false,
  disableDefaultMutations: false,
  legacyRelations: "omit",
  extendedErrors: ["errcode"],
  showErrorStack: false,
  disableQueryLog: true,
  enableQueryBatching: false,
  // The same HS256 token as the API's; its `role` claim ("admin") is the API's role, not a
  // PostgreSQL one, so no role is taken from the token (every request runs as the pool's user).
  ...(jwtSecret
    ? {
        jwtSecret,
        jwtRole: ["pg_role"],
        jwtVerifyOptions: {
          algorithms: ["HS256"],
          audience: [],
          issuer: process.env.POSTGRAPHILE_JWT_ISSUER || "crm",
        },
      }
    : {}),
});

let ready = false;
const server = http.createServer((req, res) => {
  if (req.url === "/healthz") {
    res.writeHead(ready ? 200 : 503, { "content-type": "application/json" });
    res.end(ready ? '{"status":"ok"}' : '{"status":"starting"}');
    return;
  }
  middleware(req, res);
});
server.keepAliveTimeout = 65000;

middleware
  .getGraphQLSchema()
  .then(() => {
    ready = true;
  })
  .catch((error) => {
    console.error(error);
    process.exit(1);
  });

server.listen(Number(port), "127.0.0.1");

for (const signal of ["SIGTERM", "SIGINT"]) {
  process.on(signal, () => {
    server.close();
    middleware.release().finally(() => process.exit(0));
  });
}
