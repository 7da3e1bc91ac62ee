// The query page: runs the editor's query with fetch and shows the answer.
// Data from the server is only ever written with textContent, never parsed as HTML.
"use strict";

(function () {
  const RESULTS = "application/sparql-results+json";
  const ACCEPT = RESULTS + ", text/turtle;q=0.9";
  const form = document.getElementById("query-form");
  const editor = document.getElementById("query");
  const example = document.getElementById("example");
  const description = document.getElementById("example-description");
  const paramsBox = document.getElementById("params");
  const paramFields = document.getElementById("param-fields");
  const paramsNote = document.getElementById("params-note");
  const runButton = document.getElementById("run");
  const statusLine = document.getElementById("status");
  const downloads = document.getElementById("downloads");
  const csvLink = document.getElementById("download-csv");
  const jsonLink = document.getElementById("download-json");
  const errorBox = document.getElementById("error");
  const results = document.getElementById("results");

  const catalogue = JSON.parse(document.getElementById("catalogue").textContent);
  const byName = new Map(catalogue.queries.map((q) => [q.name, q]));
  const endpoint = new URL(form.getAttribute("action"), document.baseURI);
  const queriesBase = new URL(form.dataset.queries, document.baseURI);
  let loaded = null; // the catalogue query last chosen, while its text is unchanged

  function element(tag, text, className) {
    const node = document.createElement(tag);
    if (text !== undefined) node.textContent = text;
    if (className) node.className = className;
    return node;
  }

  function chosenQuery() {
    return loaded !== null && editor.value === loaded.sparql ? loaded : null;
  }

  function showParameters(query) {
    paramFields.replaceChildren();
    for (const p of query.parameters) {
      const label = element("label");
      label.append(element("span", p.name + " (" + p.type + ") "));
      const input = element("input");
      input.name = p.name;
      input.value = p.default === null ? "" : p.default;
      input.placeholder = p.required ? "required, e.g. " + p.example : p.example;
      input.title = p.description;
      label.append(input, element("small", " " + p.description));
      paramFields.append(label);
    }
    paramsBox.hidden = query.parameters.length === 0;
  }

  function noteEdits() {
    const edited = loaded !== null && chosenQuery() === null;
    paramsNote.hidden = !edited;
    for (const input of paramFields.querySelectorAll("input")) input.disabled = edited;
  }

  example.addEventListener("change", () => {
    const query = byName.get(example.value);
    loaded = query || null;
    description.textContent = query ? query.description : "";
    if (query) {
      editor.value = query.sparql;
      showParameters(query);
    } else {
      paramFields.replaceChildren();
      paramsBox.hidden = true;
    }
    noteEdits();
  });
  editor.addEventListener("input", noteEdits);
  editor.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      form.requestSubmit();
    }
  });

  // A catalogue query whose text is unchanged runs by name, its parameters bound by
  // the server; anything else is sent to the SPARQL endpoint as written.
  function plan() {
    const query = chosenQuery();
    if (query !== null) {
      const url = new URL(encodeURIComponent(query.name), queriesBase);
      for (const input of paramFields.querySelectorAll("input")) {
        if (input.value.trim() !== "") url.searchParams.set(input.name, input.value);
      }
      return {
        url: url,
        init: { method: "GET", headers: { Accept: ACCEPT } },
        download: url,
      };
    }
    const download = new URL(endpoint);
    download.searchParams.set("query", editor.value);
    return {
      url: endpoint,
      init: {
        method: "POST",
        headers: { Accept: ACCEPT },
        body: new URLSearchParams({ query: editor.value }),
      },
      download: download,
    };
  }

  function setDownloads(base, formats) {
    const [first, second] = formats;
    for (const [link, fmt] of [[csvLink, first], [jsonLink, second]]) {
      const url = new URL(base);
      url.searchParams.set("format", fmt);
      link.href = url.href;
      link.textContent = fmt.toUpperCase();
    }
    downloads.hidden = false;
  }

  function termText(term) {
    if (term.type === "bnode") return "_:" + term.value;
    return term.value;
  }

  function renderSolutions(data) {
    if (typeof data.boolean === "boolean") {
      results.append(element("p", "ASK: " + data.boolean, "boolean"));
      return "answer: " + data.boolean;
    }
    const vars = data.head.vars;
    const table = element("table", undefined, "results");
    const headRow = element("tr");
    for (const name of vars) headRow.append(element("th", name));
    table.append(element("thead"));
    table.tHead.append(headRow);
    const body = element("tbody");
    for (const binding of data.results.bindings) {
      const row = element("tr");
      for (const name of vars) {
        const term = binding[name];
        const cell = element("td");
        if (term) {
          cell.textContent = termText(term);
          if (term.type === "uri") cell.className = "iri";
          if (term["xml:lang"]) cell.title = "@" + term["xml:lang"];
          else if (term.datatype) cell.title = term.datatype;
        }
        row.append(cell);
      }
      body.append(row);
    }
    table.append(body);
    results.append(table);
    const n = data.results.bindings.length;
    return n + (n === 1 ? " row" : " rows");
  }

  async function showError(response) {
    const type = (response.headers.get("content-type") || "").split(";")[0].trim();
    let text = response.status + " " + response.statusText;
    if (type === "application/json") {
      const body = await response.json();
      const error = body.error || {};
      text = error.status + " " + error.title + ": " + error.detail;
      if (error.hint) text += "\nHint: " + error.hint;
    }
    errorBox.textContent = text;
    errorBox.hidden = false;
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const request = plan();
    errorBox.hidden = true;
    errorBox.textContent = "";
    results.replaceChildren();
    downloads.hidden = true;
    statusLine.textContent = "Running…";
    runButton.disabled = true;
    const started = performance.now();
    try {
      const response = await fetch(request.url, request.init);
      if (!response.ok) {
        await showError(response);
        statusLine.textContent = "Failed.";
        return;
      }
      const type = (response.headers.get("content-type") || "").split(";")[0].trim();
      let summary;
      if (type === RESULTS) {
        summary = renderSolutions(await response.json());
        setDownloads(request.download, ["csv", "json"]);
      } else {
        const text = await response.text();
        results.append(element("pre", text, "graph"));
        summary = "graph";
        setDownloads(request.download, ["turtle", "jsonld"]);
      }
      const ms = Math.round(performance.now() - started);
      statusLine.textContent = summary + " in " + ms + " ms";
    } catch (failure) {
      errorBox.textContent = "The request failed: " + failure.message;
      errorBox.hidden = false;
      statusLine.textContent = "Failed.";
    } finally {
      runButton.disabled = false;
    }
  });
})();
