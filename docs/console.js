// The request console of the rendered docs: under each operation's code samples, a form that sends the request
// from the browser and shows the answer (status, headers, body). Its data, the JSON island #tvx-console-data, is
// written from the spec by tools/docs_console.py: the servers (with the token and ids each one knows) and, per
// operation, its method, path, path parameters and example bodies. A simulator serving /docs lists only itself
// there (tryvox_sim/docs.py). What the reader types is kept in memory only, never in the browser's storage.
(() => {
  "use strict";
  const data = JSON.parse(document.getElementById("tvx-console-data").textContent);
  // The simulator that served this page (`here`) has its API beside /docs, whatever host name the reader typed.
  const servers = data.servers.map((s) => (s.here ? { ...s, url: new URL(".", location.href).href.slice(0, -1) } : s));
  const operations = new Map(Object.entries(data.operations).map(([id, op]) => [id.toLowerCase(), { id, ...op }]));
  // Shared by every console: the server, its URL, token and path parameters (typed once, used everywhere).
  const shared = { server: 0, urls: servers.map((s) => s.url), values: { ...servers[0].values } };
  const drafts = new Map(); // operationId -> {example, body, answer}: Redoc renders sections lazily, so a console
  const consoles = new Set(); // can be removed and made again; what the reader did survives in `drafts`

  function element(tag, attributes = {}, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes)) {
      if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
      else if (value !== false && value !== undefined) node.setAttribute(name, value === true ? "" : value);
    }
    node.append(...children.filter((child) => child !== null));
    return node;
  }

  function draftOf(op) {
    if (!drafts.has(op.id)) {
      const example = op.examples[0];
      drafts.set(op.id, { example: 0, body: example ? JSON.stringify(example.value, null, 2) : "", answer: null });
    }
    return drafts.get(op.id);
  }

  function target(op) {
    const base = shared.urls[shared.server].trim().replace(/\/+$/, "");
    const path = op.path.replace(/\{([^}]+)\}/g, (_, name) => encodeURIComponent((shared.values[name] ?? "").trim()));
    return base + path;
  }

  // Choosing another server brings its own token and ids (the local simulator's seeded ones, say).
  function chooseServer(index) {
    shared.server = index;
    Object.assign(shared.values, servers[index].values);
    refresh();
  }

  function refresh() {
    for (const form of consoles) {
      if (!form.isConnected) consoles.delete(form);
      else form.refresh();
    }
  }

  async function send(op, draft) {
    const headers = { Authorization: `Bearer ${shared.values.token.trim()}` };
    const body = op.examples.length || op.bodyRequired ? draft.body.trim() : "";
    if (body) headers["Content-Type"] = "application/json";
    const url = target(op);
    const started = performance.now();
    draft.answer = { pending: `${op.method} ${url}` };
    refresh();
    try {
      const response = await fetch(url, { method: op.method, headers, body: body || undefined, credentials: "omit" });
      const text = await response.text();
      draft.answer = {
        status: response.status,
        reason: response.statusText,
        ms: Math.round(performance.now() - started),
        headers: [...response.headers].map(([name, value]) => `${name}: ${value}`),
        body: pretty(text),
      };
    } catch (error) {
      draft.answer = { error: unreachable(url, error) };
    }
    refresh(); // the reader may have moved on: the console now showing this operation gets the answer
  }

  function pretty(text) {
    try {
      return JSON.stringify(JSON.parse(text), null, 2);
    } catch {
      return text;
    }
  }

  // A browser hides why a cross-origin request failed; say what usually causes it and how to let this page in.
  function unreachable(url, error) {
    const server = new URL(url);
    const failed = `No answer from ${server.origin} (${error.message}).`;
    if (server.origin === location.origin) return `${failed} Is the simulator still running?`;
    if (!servers[shared.server].editable) {
      const why = "The browser could not reach it, or it does not answer pages from other origins (CORS)";
      return `${failed} ${why}; the code samples work from a terminal.`;
    }
    const origin = location.protocol === "file:" ? "null" : location.origin; // a page opened from disk is `null`
    const port = server.port ? ` --port ${server.port}` : "";
    const command = `tryvox-sim serve${port} --cors ${origin}`;
    return `${failed} Is a simulator running there, letting this page in? Start one with: ${command}`;
  }

  function answerView(answer) {
    if (!answer) return [];
    if (answer.pending) return [element("p", { class: "tvx-pending" }, `Sending ${answer.pending} …`)];
    if (answer.error) return [element("p", { class: "tvx-error", role: "alert" }, answer.error)];
    const kind = answer.status < 300 ? "tvx-ok" : answer.status < 500 ? "tvx-refused" : "tvx-failed";
    const took = element("small", {}, `${answer.ms} ms`);
    return [
      element("p", { class: `tvx-status ${kind}` }, `${answer.status} ${answer.reason} `, took),
      element(
        "details",
        { class: "tvx-headers" },
        element("summary", {}, `Headers (${answer.headers.length})`),
        element("pre", {}, answer.headers.join("\n")),
      ),
      element("pre", { class: "tvx-body" }, answer.body),
    ];
  }

  // Only a changed value is written: writing the same one would move the caret of the field being typed in.
  function show(input, value) {
    if (input.value !== value) input.value = value;
  }

  function field(label, input) {
    return element("label", {}, element("span", {}, label), input);
  }

  function consoleFor(op) {
    const draft = draftOf(op);
    const server = element(
      "select",
      { name: "server", onchange: (event) => chooseServer(Number(event.target.value)) },
      ...servers.map((s, i) => element("option", { value: i }, s.description)),
    );
    const serverUrl = element("input", {
      name: "server-url",
      spellcheck: "false",
      "aria-label": "Server URL",
      oninput: (event) => {
        shared.urls[shared.server] = event.target.value;
        refresh();
      },
    });
    const token = element("input", {
      name: "token",
      spellcheck: "false",
      autocomplete: "off",
      oninput: (event) => {
        shared.values.token = event.target.value;
        refresh();
      },
    });
    const params = op.params.map((name) =>
      element("input", {
        name: `param-${name}`,
        spellcheck: "false",
        oninput: (event) => {
          shared.values[name] = event.target.value;
          refresh();
        },
      }),
    );
    const example = element(
      "select",
      {
        name: "example",
        "aria-label": "Example body",
        onchange: (event) => {
          draft.example = Number(event.target.value);
          draft.body = JSON.stringify(op.examples[draft.example].value, null, 2);
          body.value = draft.body;
        },
      },
      ...op.examples.map((e, i) => element("option", { value: i }, e.name)),
    );
    const body = element("textarea", {
      name: "body",
      rows: Math.min(12, draft.body.split("\n").length + 1),
      spellcheck: "false",
      oninput: (event) => (draft.body = event.target.value),
      onkeydown: (event) => {
        if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) form.requestSubmit();
      },
    });
    body.value = draft.body;
    const request = element("code", { class: "tvx-request" });
    const answer = element("output", { class: "tvx-answer", "aria-live": "polite" });
    const sendButton = element("button", { type: "submit" }, "Send");
    const hasBody = op.examples.length > 0 || op.bodyRequired;
    const examples = op.examples.length > 1 ? example : null; // a choice only when there is one to make
    let shown; // the answer on display: drawn again only when it changes (an open Headers stays open)
    const form = element(
      "form",
      {
        class: "tvx-console",
        "data-operation": op.id,
        "aria-label": `Try ${op.summary}`,
        onsubmit: (event) => {
          event.preventDefault();
          send(op, draft);
        },
      },
      element("h3", {}, "Try it"),
      field("Server", server),
      field("URL", serverUrl),
      field("Token", token),
      ...params.map((input, i) => field(op.params[i], input)),
      hasBody ? field("Body", element("div", { class: "tvx-body-input" }, examples, body)) : null,
      element("div", { class: "tvx-send" }, sendButton, request),
      answer,
    );
    form.refresh = () => {
      server.value = String(shared.server);
      show(serverUrl, shared.urls[shared.server]);
      serverUrl.readOnly = !servers[shared.server].editable;
      show(token, shared.values.token ?? "");
      params.forEach((input, i) => show(input, shared.values[op.params[i]] ?? ""));
      example.value = String(draft.example);
      request.textContent = `${op.method} ${target(op)}`;
      sendButton.disabled = Boolean(draft.answer?.pending);
      if (shown !== draft.answer) answer.replaceChildren(...answerView((shown = draft.answer)));
    };
    form.refresh();
    consoles.add(form);
    return form;
  }

  // Each operation's code-samples panel gets its console below it, once React has taken over that part of the
  // page (a node added to server-rendered markup before hydration would be thrown away, with an error). The
  // panel's class and the section ids are Redoc's; tests/test_docs.py fails if a Redoc release changes them.
  const hydrated = (node) => Object.keys(node).some((key) => key.startsWith("__reactFiber"));
  function mountAll() {
    for (const panel of document.querySelectorAll(".panel-request-samples")) {
      const column = panel.parentElement;
      const op = operations.get(panel.closest("[id]")?.id.split("/").pop());
      if (op && hydrated(column) && !column.querySelector(":scope > .tvx-console")) column.append(consoleFor(op));
    }
  }
  let scheduled = false;
  const schedule = () => {
    if (!scheduled) {
      scheduled = true;
      requestAnimationFrame(() => {
        scheduled = false;
        mountAll();
      });
    }
  };
  const root = document.getElementById("redoc");
  new MutationObserver(schedule).observe(root, { childList: true, subtree: true });
  // Hydration changes no node, so no mutation says it is done: look until the whole page is React's.
  const waiting = setInterval(() => {
    mountAll();
    if (root.lastElementChild && hydrated(root.lastElementChild)) clearInterval(waiting);
  }, 100);
})();
