// Starts GraphiQL against this server's /graphql; every asset comes from this server.
(function () {
  const fetcher = GraphiQL.createFetcher({
    url: new URL("/graphql", window.location.href).toString(),
    headers: { Accept: "application/graphql-response+json, application/json" },
  });
  const root = ReactDOM.createRoot(document.getElementById("graphiql"));
  root.render(
    React.createElement(GraphiQL, {
      fetcher: fetcher,
      defaultEditorToolsVisibility: "headers",
      defaultHeaders: '{\n  "Authorization": "Bearer <token from crm token or crm serve>"\n}',
      shouldPersistHeaders: true,
    }),
  );
})();
