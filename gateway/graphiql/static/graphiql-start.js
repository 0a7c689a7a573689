// Starts GraphiQL on the page at /graphql (after strawberry's GraphiQL template, MIT).
// The query and variables live in the URL (?q=…&variables=…) so a link shares them; the
// Headers tab ({"Authorization": "Bearer <key>"}) is sent with every HTTP request and, for a
// subscription, as the connection_init payload of the graphql-transport-ws websocket.
"use strict";

(function () {
  const WELCOME = `# GraphiQL for the QSMO performance platform
#
# Put your API key in the Headers tab below:
#
#     {"Authorization": "Bearer <key>"}
#
# then reload the schema (the ⟳ button at the bottom left) so that the Docs, the
# Explorer and Ctrl-Space completion know it (the headers are kept for the next visit),
# and run a query (Ctrl-Enter or the play button), for example:
#
#     { qsmos { id name } }
#
# More examples: docs/graphql.md.
`;

  const parameters = {};
  for (const entry of window.location.search.slice(1).split("&")) {
    const eq = entry.indexOf("=");
    if (eq >= 0) {
      parameters[decodeURIComponent(entry.slice(0, eq))] = decodeURIComponent(entry.slice(eq + 1));
    }
  }

  function updateURL(data) {
    Object.assign(parameters, data);
    const search = Object.keys(parameters)
      .filter((key) => Boolean(parameters[key]))
      .map((key) => encodeURIComponent(key) + "=" + encodeURIComponent(parameters[key]))
      .join("&");
    history.replaceState(null, "", "?" + search);
  }

  const fetchURL = window.location.href.split("?")[0].split("#")[0];
  const subscriptionURL = new URL(fetchURL);
  subscriptionURL.protocol = subscriptionURL.protocol === "https:" ? "wss:" : "ws:";

  const fetcher = GraphiQL.createFetcher({
    url: fetchURL,
    subscriptionUrl: subscriptionURL.toString(),
  });

  function GraphiQLWithExplorer() {
    const [query, setQuery] = React.useState(parameters.q || WELCOME);
    const [variables, setVariables] = React.useState(parameters.variables);
    const explorer = React.useMemo(() => GraphiQLPluginExplorer.explorerPlugin(), []);

    return React.createElement(GraphiQL, {
      fetcher: fetcher,
      defaultEditorToolsVisibility: true,
      plugins: [explorer],
      query: query,
      variables: variables,
      onEditQuery: (value) => {
        setQuery(value);
        updateURL({ q: value });
      },
      onEditVariables: (value) => {
        setVariables(value);
        updateURL({ variables: value });
      },
      inputValueDeprecation: true,
      isHeadersEditorEnabled: true,
      shouldPersistHeaders: true,
    });
  }

  ReactDOM.createRoot(document.getElementById("graphiql")).render(
    React.createElement(GraphiQLWithExplorer),
  );
})();
