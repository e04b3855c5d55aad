// Makes the memory snapshot start_python.mjs starts Python from on the next visit: a fresh
// Pyodide in this worker (off the page's thread), with the standard library modules the page
// imported (a list of names from main.py, through pad.js), snapshotted. The page hands the
// bytes to the service worker, which keeps them with its build's files.
//
// Only the standard library: PyScript's modules, and main.py's through them, hold references
// to JavaScript objects of the page, which a snapshot made here could not restore there.
import { loadPyodide } from "./pyodide/pyodide.mjs";

onmessage = async ({ data: modules }) => {
  try {
    const pyodide = await loadPyodide({ _makeSnapshot: true });
    // In a namespace of their own, not __main__'s, which the page's Python starts with.
    const namespace = pyodide.toPy({});
    pyodide.runPython(modules.map((name) => `import ${name}`).join("\n"), { globals: namespace });
    namespace.destroy();  // a reference to it would be refused by the snapshot
    const bytes = pyodide.makeMemorySnapshot();
    postMessage(bytes, [bytes.buffer]);
  } catch (error) {
    postMessage(null);
    console.warn("HWD: no Python snapshot for the next visit:", error.message);
  }
};
