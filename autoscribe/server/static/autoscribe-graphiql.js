// GraphiQL for AutoScribe: the token field, and a fetcher that sends the token as the bearer over
// HTTP (queries, mutations, the schema's introspection) and in the WebSocket's connection_init
// payload (subscriptions, graphql-transport-ws through graphql-ws). The token is kept in this
// tab's sessionStorage at most (gone when the tab closes, or on "Forget"); GraphiQL is told not
// to persist headers.
(function () {
  "use strict";

  var TOKEN_KEY = "autoscribe.graphiql.token";
  var HTTP_URL = window.location.origin + window.location.pathname;
  var WS_URL = HTTP_URL.replace(/^http/, "ws");
  // Both the GraphQL-over-HTTP media type and the older application/json are read, whatever the
  // status code (a request error comes back as 4xx with a GraphQL body).
  var ACCEPT = "application/graphql-response+json, application/json;q=0.9";
  var GRAPHQL_TYPES = ["application/graphql-response+json", "application/json"];

  var DEFAULT_QUERY = [
    "# AutoScribe. Paste an API key (ask_...) or a user session token (ust_...) above, then run.",
    "#",
    "# The worklist in reading order:",
    "query Worklist {",
    "  studies(orderBy: PRIORITY, first: 10) {",
    "    totalCount",
    "    pageInfo { hasNextPage endCursor }",
    "    nodes { id studyInstanceUid studyDescription severity studyReportStatus }",
    "  }",
    "}",
    "",
    "# Live: every change to the worklist (run it, then change a study). Resume after a",
    "# disconnect with worklist(after: \"<the last cursor>\").",
    "subscription Live {",
    "  worklist {",
    "    cursor",
    "    type",
    "    study { id studyInstanceUid studyDescription studyReportStatus }",
    "  }",
    "}",
    "",
  ].join("\n");

  function storedToken() {
    try {
      return window.sessionStorage.getItem(TOKEN_KEY) || "";
    } catch (e) {
      return "";
    }
  }

  function storeToken(token) {
    try {
      if (token) window.sessionStorage.setItem(TOKEN_KEY, token);
      else window.sessionStorage.removeItem(TOKEN_KEY);
    } catch (e) {
      // No sessionStorage (a private mode): the token lives in this page only.
    }
  }

  function errorResult(message) {
    return { errors: [{ message: message }] };
  }

  function isSubscription(params, opts) {
    var doc = opts && opts.documentAST;
    if (!doc) return false;
    var operations = doc.definitions.filter(function (d) {
      return d.kind === "OperationDefinition";
    });
    var chosen = params.operationName
      ? operations.filter(function (d) {
          return d.name && d.name.value === params.operationName;
        })[0]
      : operations.length === 1 ? operations[0] : null;
    return Boolean(chosen) && chosen.operation === "subscription";
  }

  function overHttp(params, headers) {
    return window
      .fetch(HTTP_URL, {
        method: "POST",
        credentials: "omit",
        headers: headers,
        body: JSON.stringify(params),
      })
      .then(function (response) {
        var type = (response.headers.get("content-type") || "").split(";")[0].trim().toLowerCase();
        if (GRAPHQL_TYPES.indexOf(type) >= 0) {
          return response.json().catch(function () {
            return errorResult("HTTP " + response.status + ": the body is not valid JSON.");
          });
        }
        return response.text().then(function (text) {
          return errorResult("HTTP " + response.status + " (" + (type || "no content type") + ")" +
            (text ? ": " + text.slice(0, 500) : ""));
        });
      })
      .catch(function (error) {
        return errorResult("The request failed: " + error.message);
      });
  }

  function describeSocketError(error) {
    if (Array.isArray(error)) return { errors: error }; // the server's `error` message
    if (error && typeof error.code === "number") {
      return errorResult("The WebSocket was closed: " + error.code + (error.reason ? " " + error.reason : "") +
        (error.code === 4403 ? " (is the token valid?)" : ""));
    }
    if (error instanceof Error) return errorResult(error.message);
    return errorResult("The WebSocket failed: is the server reachable?");
  }

  function overWebSocket(client, params) {
    // An Observable, as GraphiQL takes it: each event replaces the result shown.
    return {
      subscribe: function (observer) {
        var dispose = client.subscribe(params, {
          next: function (value) {
            observer.next(value);
          },
          error: function (error) {
            observer.next(describeSocketError(error));
            observer.complete();
          },
          complete: function () {
            observer.complete();
          },
        });
        return { unsubscribe: dispose };
      },
    };
  }

  function makeFetcher(token) {
    var bearer = token ? { Authorization: "Bearer " + token } : {};
    var socket = window.graphqlWs.createClient({
      url: WS_URL,
      lazy: true,
      retryAttempts: 0,
      connectionParams: function () {
        return token ? { authorization: "Bearer " + token } : {};
      },
    });
    var fetcher = function (params, opts) {
      if (isSubscription(params, opts)) return overWebSocket(socket, params);
      var headers = Object.assign(
        { "Content-Type": "application/json", Accept: ACCEPT },
        bearer,
        (opts && opts.headers) || {}
      );
      return overHttp(params, headers);
    };
    fetcher.dispose = function () {
      socket.dispose();
    };
    return fetcher;
  }

  var root = window.ReactDOM.createRoot(document.getElementById("graphiql"));
  var explorer = window.GraphiQLPluginExplorer.explorerPlugin();
  var form = document.getElementById("as-token-form");
  var input = document.getElementById("as-token");
  var state = document.getElementById("as-token-state");
  var current = null;
  var generation = 0;

  function show(token) {
    if (current) current.dispose();
    current = makeFetcher(token);
    state.textContent = token
      ? "Token in use (…" + token.slice(-4) + "), kept in this tab until it closes."
      : "No token: paste an API key or a session token to run anything.";
    state.className = token ? "as-state as-state-set" : "as-state";
    // A new token: GraphiQL anew (its schema fetched with that token; the editors' text is kept in
    // localStorage by GraphiQL itself). No token: no introspection, which would only be refused.
    generation += 1;
    root.render(
      window.React.createElement(window.GraphiQL, {
        key: "token-" + generation,
        fetcher: current,
        schema: token ? undefined : null,
        plugins: [explorer],
        defaultQuery: DEFAULT_QUERY,
        defaultEditorToolsVisibility: true,
        isHeadersEditorEnabled: true,
        shouldPersistHeaders: false,
        inputValueDeprecation: true,
      })
    );
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var token = input.value.trim().replace(/^Bearer\s+/i, "");
    input.value = "";
    storeToken(token);
    show(token);
  });
  document.getElementById("as-forget").addEventListener("click", function () {
    input.value = "";
    storeToken("");
    show("");
  });

  show(storedToken());
})();
