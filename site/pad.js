// The thin JavaScript part of HWD's page: what must happen before Python runs, or at pointer rate.
//
// - The drawing pad: pointer events (mouse, touch, pen; coalesced events for smooth strokes),
//   the ink on the canvas and the stroke point lists in CSS pixels, y down.
// - The buttons and the network selector, which work at once; Recognize waits for Python.
// - Fetching the chosen network's bytes while Python boots, and the loading status.
// - Registering the service worker once the page is ready, and after a visit that started
//   Python afresh, having a snapshot of it made for the next (start_python.mjs says why).
//
// Python (main.py) does the rest: it calls window.hwdPad.connect(recognize, clear, select) when
// it has started, gets the strokes as a JS array of [[x, y], ...] strokes, preprocesses and
// classifies them with the hwd package and updates the result on the page.

const STORAGE_KEY = "hwd.network";
const NUMBER_KEY = "hwd.number";
const $ = (id) => document.getElementById(id);

const canvas = $("pad");
const context = canvas.getContext("2d");
const recognizeButton = $("recognize");
const clearButton = $("clear");
const liveBox = $("live");
const numberBox = $("number-mode");
const networkSelect = $("network");
const status = $("status");
const statusText = $("status-text");
const progress = $("progress");

let strokes = [];          // [[[x, y], ...], ...] in CSS pixels of the pad
let current = null;        // the stroke being drawn, or null
let size = 0;              // the pad's height in CSS pixels (its side, but in number mode)
let width = 0;             // and its width
let python = null;         // {recognize, clear, select} once main.py has connected
let pending = false;       // Recognize was asked for while Python was not ready
let recognized = false;    // a completed recognition is shown: the next stroke starts afresh
const networkBytes = new Map();  // network name -> Promise<ArrayBuffer>

// ---------------------------------------------------------------- the pad

function penWidth() {
  return Math.max(size / 18, 4);
}

function inkColour() {
  return getComputedStyle(canvas).color;
}

/** Fit the canvas's backing store to its CSS size and the screen density, keeping the ink. */
function resize() {
  const rect = canvas.getBoundingClientRect();
  if (!rect.width) return;
  if (size && rect.height !== size) {
    const k = rect.height / size;  // the person resized the window: keep the drawing in proportion
    strokes = strokes.map((stroke) => stroke.map(([x, y]) => [x * k, y * k]));
  }
  size = rect.height;
  width = rect.width;
  const dpr = window.devicePixelRatio || 1;
  canvas.width = Math.round(width * dpr);
  canvas.height = Math.round(size * dpr);
  context.setTransform(dpr, 0, 0, dpr, 0, 0);
  redraw();
}

function redraw() {
  context.clearRect(0, 0, width, size);
  for (const stroke of strokes) drawStroke(stroke, 0);
}

/** Draw a stroke from point `from` on: quadratic curves through the midpoints look smooth. */
function drawStroke(points, from) {
  context.strokeStyle = inkColour();
  context.fillStyle = inkColour();
  context.lineWidth = penWidth();
  context.lineCap = "round";
  context.lineJoin = "round";
  if (points.length === 1) {  // a dot
    context.beginPath();
    context.arc(points[0][0], points[0][1], penWidth() / 2, 0, 2 * Math.PI);
    context.fill();
    return;
  }
  const mid = (a, b) => [(a[0] + b[0]) / 2, (a[1] + b[1]) / 2];
  context.beginPath();
  const start = Math.max(from, 1);
  const first = start === 1 ? points[0] : mid(points[start - 2], points[start - 1]);
  context.moveTo(first[0], first[1]);
  for (let i = start; i < points.length; i++) {
    const [mx, my] = mid(points[i - 1], points[i]);
    context.quadraticCurveTo(points[i - 1][0], points[i - 1][1], mx, my);
  }
  const last = points[points.length - 1];
  context.lineTo(last[0], last[1]);
  context.stroke();
}

function position(event, box) {
  return [event.clientX - box.left, event.clientY - box.top];
}

let box = null;  // the pad's rectangle, measured once per stroke

canvas.addEventListener("pointerdown", (event) => {
  if (!event.isPrimary || (event.pointerType === "mouse" && event.button !== 0)) return;
  event.preventDefault();
  if (recognized) clear();  // as the ancestor did: a new drawing after a result starts afresh
  canvas.setPointerCapture(event.pointerId);
  box = canvas.getBoundingClientRect();
  current = [position(event, box)];
  strokes.push(current);
  drawStroke(current, 0);
});

canvas.addEventListener("pointermove", (event) => {
  if (!current || !event.isPrimary) return;
  event.preventDefault();
  const before = current.length;
  // The browser merges moves into one event per frame; the coalesced ones keep every sample.
  const samples = event.getCoalescedEvents ? event.getCoalescedEvents() : [];
  for (const sample of samples.length ? samples : [event]) current.push(position(sample, box));
  redrawTail(before);
});

/** Draw only what the new points added (the curve up to the last midpoint moves along). */
function redrawTail(before) {
  if (before < 2) {
    redraw();
    return;
  }
  drawStroke(current, before);
}

function endStroke(event) {
  if (!current || !event.isPrimary) return;
  current = null;
  redraw();  // the last segment ends on the last point exactly
  if (liveBox.checked && python && isReady()) python.recognize(strokes, false);
}
canvas.addEventListener("pointerup", endStroke);
canvas.addEventListener("pointercancel", endStroke);
// No scrolling, zooming or text selection while drawing on touch screens (CSS touch-action too).
canvas.addEventListener("touchstart", (event) => event.preventDefault(), { passive: false });

new ResizeObserver(resize).observe(canvas);
matchMedia("(prefers-color-scheme: dark)").addEventListener("change", redraw);

// ---------------------------------------------------------------- buttons

function isReady() {
  return status.dataset.state === "ready";
}

function recognize() {
  if (python && isReady()) {
    pending = false;
    python.recognize(strokes, true);
    recognized = strokes.length > 0;
  } else if (status.dataset.state === "loading") {
    pending = true;
    statusText.textContent = "Still loading: your digit will be recognized as soon as Python is ready.";
  }
}

function clear() {
  strokes = [];
  current = null;
  recognized = false;
  pending = false;
  redraw();
  if (python) python.clear();
}

/** Number mode: a wide pad for several digits, read as one number (site/number_mode.py). */
function setNumberMode(on) {
  canvas.classList.toggle("number", on);
  canvas.setAttribute("aria-label", on
    ? "Drawing pad: write a number, digits left to right"
    : "Drawing pad: draw one digit with the mouse, a finger or a pen");
  clear();
}

numberBox.addEventListener("change", () => {
  try {
    localStorage.setItem(NUMBER_KEY, numberBox.checked ? "1" : "");
  } catch {
    // Not remembered then.
  }
  setNumberMode(numberBox.checked);
});
try {
  numberBox.checked = localStorage.getItem(NUMBER_KEY) === "1";
} catch {
  // Storage disabled: digit mode.
}
if (numberBox.checked) setNumberMode(true);

recognizeButton.addEventListener("click", recognize);
clearButton.addEventListener("click", clear);

// ---------------------------------------------------------------- networks

function fileOf(name) {
  const option = [...networkSelect.options].find((o) => o.value === name);
  return option ? option.dataset.file : null;
}

/** The bytes of a network's .npz, fetched once (started here so it overlaps Python's boot). */
function fetchNetwork(name) {
  if (!networkBytes.has(name)) {
    const file = fileOf(name);
    const bytes = fetch(file).then((response) => {
      if (!response.ok) throw new Error(`${file}: HTTP ${response.status}`);
      return response.arrayBuffer();
    });
    bytes.catch(() => networkBytes.delete(name));  // let a later attempt try again
    networkBytes.set(name, bytes);
  }
  return networkBytes.get(name);
}

try {
  const saved = localStorage.getItem(STORAGE_KEY);
  if (saved && fileOf(saved)) networkSelect.value = saved;
} catch {
  // Storage can be disabled (private browsing); the build's default network is used.
}
// The chosen network is fetched once Pyodide's WebAssembly has arrived (its streaming
// compilation ends with its last byte): Python cannot start before that, and needs the network
// only once started, so the two must not share the link. The hook runs just before Python's
// start takes the main thread for seconds, when no timer or observer could run.
// A repeat visit's files come from the service worker's cache: no link to share, so at once.
const instantiateStreaming = WebAssembly.instantiateStreaming;
if (navigator.serviceWorker && navigator.serviceWorker.controller) {
  fetchNetwork(networkSelect.value).catch(() => {});  // main.py reports the error
} else {
  WebAssembly.instantiateStreaming = async (...args) => {
    WebAssembly.instantiateStreaming = instantiateStreaming;  // once
    const result = await instantiateStreaming(...args);
    fetchNetwork(networkSelect.value).catch(() => {});
    return result;
  };
}

networkSelect.addEventListener("change", () => {
  const name = networkSelect.value;
  try {
    localStorage.setItem(STORAGE_KEY, name);
  } catch {
    // Not remembered then; the choice still applies to this visit.
  }
  if (recognized) pending = true;  // show the new network's answer for the same drawing
  if (python) python.select(name);
});

// ---------------------------------------------------------------- your own network file

const MAX_NETWORK_BYTES = 50_000_000;  // own_network.py explains the refusal
let openNetworkFile = null;  // own_network.py's handler, once Python runs

/** Hand a chosen or dropped file to Python (too big a file is not even read). */
async function openFile(file) {
  if (!file) return;
  if (!openNetworkFile) {
    statusText.textContent = `Still loading: open “${file.name}” again once Python is ready.`;
    return;
  }
  const buffer = file.size <= MAX_NETWORK_BYTES ? await file.arrayBuffer() : null;
  pending = recognized;  // show the new network's answer for the same drawing
  if (!(await openNetworkFile(file.name, file.size, buffer))) pending = false;
}

$("open-network").addEventListener("change", (event) => {
  openFile(event.target.files[0]);
  event.target.value = "";  // the same file can be opened again
});
const hasFiles = (event) => [...event.dataTransfer.types].includes("Files");
addEventListener("dragover", (event) => {
  if (!hasFiles(event)) return;
  event.preventDefault();
  document.body.classList.add("dropping");
});
addEventListener("dragleave", (event) => {
  if (!event.relatedTarget) document.body.classList.remove("dropping");
});
addEventListener("drop", (event) => {
  if (!hasFiles(event)) return;
  event.preventDefault();
  document.body.classList.remove("dropping");
  openFile(event.dataTransfer.files[0]);
});

// ---------------------------------------------------------------- loading status

function setStatus(state, text) {
  status.dataset.state = state;
  statusText.textContent = text;
}

// Progress while PyScript loads Pyodide: the big downloads finishing are the visible steps.
const steps = [
  ["pyodide.asm.wasm", "Starting Python…"],
  ["python_stdlib.zip", "Starting Python…"],
  ["main.py", "Loading the recognizer…"],
];
const observer = new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    const index = steps.findIndex(([file]) => entry.name.endsWith(`/${file}`));
    if (index >= 0 && entry.responseStatus === 0) {  // a failed download (Pyodide may only warn)
      loadFailed(new Error(`${steps[index][0]} could not be downloaded`));
    } else if (index >= 0 && status.dataset.state === "loading" && !python) {
      progress.value = Math.max(progress.value, index + 1);
      if (!pending) statusText.textContent = steps[index][1];
    }
  }
});
observer.observe({ type: "resource", buffered: true });

function loadFailed(reason) {
  if (status.dataset.state !== "loading" || python) return;
  const detail = reason && reason.message ? reason.message : String(reason || "unknown error");
  setStatus("error", `Python could not be loaded (${detail.split("\n")[0]}). ` +
    "Check your connection and reload the page.");
}
addEventListener("error", (event) => loadFailed(event.error || event.message));
addEventListener("unhandledrejection", (event) => loadFailed(event.reason));

// ---------------------------------------------------------------- the interface for main.py

let serviceWorkerRegistered = false;

/** Have snapshot_worker.mjs make a snapshot of Python with ``modules`` imported, and give it to
    the service worker of this build; <html data-snapshot> says "kept" or "none" when done. */
async function keepSnapshot(registration, modules) {
  const build = document.querySelector('meta[name="hwd-build"]').content;
  const [snapshot, serviceWorker] = await Promise.all([makeSnapshot(modules),
                                                       activated(registration)]);
  let kept = false;
  if (snapshot && serviceWorker) {
    const channel = new MessageChannel();
    kept = await new Promise((resolve) => {
      channel.port1.onmessage = ({ data }) => resolve(data);
      serviceWorker.postMessage({ build, snapshot }, [channel.port2, snapshot.buffer]);
    });
  }
  document.documentElement.dataset.snapshot = kept ? "kept" : "none";
}

/** The snapshot's bytes (a Uint8Array), or null if it could not be made. */
async function makeSnapshot(modules) {
  const worker = new Worker("./snapshot_worker.mjs", { type: "module" });
  const snapshot = await new Promise((resolve) => {
    worker.onmessage = ({ data }) => resolve(data);
    worker.onerror = () => resolve(null);
    worker.postMessage(modules);
  });
  worker.terminate();
  return snapshot;
}

/** The newest service worker of the registration once it is active (null if it failed to
    install): this build's, not an older build's still active. */
async function activated(registration) {
  // register() does not look for a new sw.js when one is registered already, and the browser
  // looks on its own only later: look now, so that a new build's worker is installing.
  await registration.update().catch(() => {});  // offline: the worker there is
  const worker = registration.installing || registration.waiting || registration.active;
  return new Promise((resolve) => {
    const check = () => {
      if (worker.state === "activated") resolve(worker);
      if (worker.state === "redundant") resolve(null);
    };
    worker.addEventListener("statechange", check);
    check();
  });
}

window.hwdPad = {
  /** main.py's handlers: recognize(strokes, final), clear(), select(name) (async). */
  connect(recognizeHandler, clearHandler, selectHandler) {
    python = { recognize: recognizeHandler, clear: clearHandler, select: selectHandler };
    observer.disconnect();
  },
  /** Whether the person chose to write a number (several digits). */
  numberMode: () => numberBox.checked,
  /** main.py's handler for a network file: (name, size, ArrayBuffer | null) -> Promise<bool>. */
  connectFiles(handler) {
    openNetworkFile = handler;
  },
  /** The current strokes, as given to recognize. */
  strokes: () => strokes,
  /** The name of the network chosen in the selector. */
  network: () => networkSelect.value,
  /** The .npz bytes of a network, as an ArrayBuffer. */
  networkBytes: fetchNetwork,
  /** Text kept in this browser under "hwd.<name>" ("" if none): teach.py keeps the taught
      examples and the adapted network's last layer there. Nothing leaves the browser. */
  stored(name) {
    try {
      return localStorage.getItem(`hwd.${name}`) || "";
    } catch {
      return "";  // storage disabled: nothing was kept
    }
  },
  /** Keep text under "hwd.<name>" ("" removes it); false if the browser refuses (full, disabled). */
  store(name, text) {
    try {
      if (text) localStorage.setItem(`hwd.${name}`, text);
      else localStorage.removeItem(`hwd.${name}`);
      return true;
    } catch {
      return false;
    }
  },
  /** Offer bytes (a Uint8Array) to the person as a file download. */
  download(bytes, name) {
    const url = URL.createObjectURL(new Blob([bytes], { type: "application/octet-stream" }));
    const link = Object.assign(document.createElement("a"), { href: url, download: name });
    link.click();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  },
  /** Called by main.py whenever it becomes ready, with the names of the standard library
      modules Python has imported: run a Recognize that was waiting. */
  ready(modules) {
    if (pending) recognize();
    if (!serviceWorkerRegistered && "serviceWorker" in navigator && location.protocol !== "file:") {
      // After ready, so caching the app for offline use does not slow the first start.
      serviceWorkerRegistered = true;
      navigator.serviceWorker.register("./sw.js").then((registration) => {
        if (document.documentElement.dataset.pythonStart === "fresh") {
          keepSnapshot(registration, modules);
        }
      }, (error) => {
        console.warn("HWD: offline use unavailable:", error.message);
      });
    }
  },
};
