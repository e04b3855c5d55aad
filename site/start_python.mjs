// How PyScript starts Pyodide on this page (pyscript.json's "interpreter"): from a memory
// snapshot when an earlier visit left one, else as usual.
//
// Python's own start (its runtime, then the standard library modules the page imports) is
// most of a repeat visit's time. After a first visit, snapshot_worker.mjs starts a second,
// clean Pyodide off the page's thread, imports those modules and snapshots its memory; the
// service worker keeps the snapshot with its build's files (sw.js), so it always matches them.
// Restoring it skips that start. A snapshot Pyodide refuses (another build) is not used.
import { loadPyodide as load, version } from "./pyodide/pyodide.mjs";

export { version };

const INDEX_URL = new URL("./pyodide/", import.meta.url).href;
const SNAPSHOT_URL = new URL("./python.snapshot", import.meta.url).href;

// Asked for at once, while PyScript still prepares: only a service worker can have it.
const snapshot = navigator.serviceWorker && navigator.serviceWorker.controller
  ? fetch(SNAPSHOT_URL).then((response) => (response.status === 200 ? response : null), () => null)
  : Promise.resolve(null);

/** PyScript's call: Pyodide's loadPyodide, given the snapshot when there is one. */
export async function loadPyodide(options) {
  const response = await snapshot;
  if (response) {
    try {
      const bytes = response.arrayBuffer();  // a promise: Pyodide loads its JavaScript meanwhile
      const pyodide = await load({ ...options, indexURL: INDEX_URL, _loadSnapshot: bytes });
      document.documentElement.dataset.pythonStart = "snapshot";
      return pyodide;
    } catch (error) {
      console.warn("HWD: Python starts afresh, its snapshot was refused:", error.message);
    }
  }
  document.documentElement.dataset.pythonStart = "fresh";
  return load({ ...options, indexURL: INDEX_URL });
}
