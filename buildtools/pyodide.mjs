// Run a Python script under Pyodide's own Python, in Node.js: build.py uses it to read the
// standard library with the same Python (3.14) that the browser runs.
//
//     node buildtools/pyodide.mjs SCRIPT.py ARG...
//
// The host's file system is mounted at / inside (the paths mean the same on both sides);
// the script's standard output is printed, and its exit status is ours.
import { loadPyodide } from "../node_modules/pyodide/pyodide.mjs";

const [script, ...args] = process.argv.slice(2);
const pyodide = await loadPyodide({ stdout: (line) => console.log(line), stderr: (line) => console.error(line) });
pyodide.FS.mkdirTree("/host");
pyodide.FS.mount(pyodide.FS.filesystems.NODEFS, { root: "/" }, "/host");
pyodide.globals.set("argv", pyodide.toPy([script, ...args].map((p) => (p.startsWith("/") ? `/host${p}` : p))));
try {
  pyodide.runPython(`
import runpy, sys
sys.argv = list(argv)
try:
    runpy.run_path(sys.argv[0], run_name="__main__")
except SystemExit as e:
    if e.code:
        raise
`);
} catch (error) {
  console.error(error.message);
  process.exit(1);
}
