// The graph page's viewer (templates/releases/file_graph_frame.html): netron's View, from the
// installed netron package (static/netron/), driven by a host of the hub's own.
//
// netron's browser host is made for its public site: it checks the release date and asks to
// update, asks for cookie consent after a look-up on another site, sends usage statistics, and
// offers a menu to open other files. This host keeps what the View needs (fetching, module
// loading, messages) and opens exactly one model: the file's download URL on the hub, with the
// visitor's session, so a private repository's owner sees their model and nobody else does.

const body = document.body;
const netron = new URL(".", new URL(body.dataset.netronView, window.location.href));

const [{ Host }, { View }] = await Promise.all([
  import(body.dataset.netronHost),
  import(body.dataset.netronView),
]);

class HubHost extends Host {
  constructor(model, name) {
    super();
    this._model = model;
    this._name = name;
    this._environment.menu = false; // no File menu (open, export), no links to netron's site
    this._environment.packaged = false; // errors offer "OK", not a report on netron's tracker
  }

  // netron's host runs its update check, consent question and statistics here: none of them.
  async view(view) {
    this._view = view;
  }

  async start() {
    const status = await this._openModel(new URL(this._model, window.location.href).href, this._name);
    body.dataset.state = status === "" ? "shown" : "failed";
  }

  // netron adds a cache-buster to every URL it fetches. A file's download URL names fixed
  // content (its ETag is the Blob ID): fetched as it is, a second look at the graph is a
  // revalidation (304), neither a second transfer nor a second download counted.
  async _fetch(url, headers, encoding, callback, timeout) {
    return this._request(url, headers, encoding, callback, timeout);
  }

  event() {}

  exception() {}

  // netron's files (its metadata and layout worker) live beside its modules, not this page.
  _url(file) {
    return new URL(file.replace(/^\.?\//, ""), netron).href;
  }

  worker(id) {
    return new window.Worker(new URL(`${id}.js`, netron), { type: "module" });
  }
}

// netron focuses the graph for its keys (when drawn, when a sidebar closes): without
// scrolling the hub's page, around the frame, to it.
const target = document.getElementById("target");
const focus = target.focus.bind(target);
target.focus = (options) => focus({ ...options, preventScroll: true });

const view = new View(new HubHost(body.dataset.model, body.dataset.name));
await view.start();
