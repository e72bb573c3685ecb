// The demo page: checks each dropped file with preflight-wasm, shows the
// verdicts as `preflight check` prints them, and builds a request from the
// files that pass. Nothing leaves the page.
import init, { check, profiles, request } from "../pkg/preflight_wasm.js";

await init();

const $ = (id) => document.getElementById(id);
const profileSelect = $("profile");
const results = $("results");

for (const p of profiles()) {
  const opt = document.createElement("option");
  opt.value = p.name;
  opt.textContent = p.name;
  opt.title = `${p.title} (checked ${p.checked})`;
  profileSelect.append(opt);
}

/** Every file added, in order, with its latest report. */
const checked = [];
/** Checks in flight; `document.body.dataset.busy` tells a test to wait. */
let pending = 0;

// Bytes for people, as the CLI writes them (decimal units).
function humanBytes(b) {
  if (b < 1000) return `${b} B`;
  let v = b;
  let unit = "B";
  for (const u of ["kB", "MB", "GB", "TB"]) {
    if (v < 1000) break;
    v /= 1000;
    unit = u;
  }
  return `${v.toFixed(1)} ${unit}`;
}

// The table line of `preflight check`: format, size, rotation, fps, duration, codec.
function describe(r) {
  if (r.verdict === "error" || r.format === null) return r.format ?? "";
  const parts = [r.format];
  if (r.width != null) parts.push(`${r.width}×${r.height}`);
  if (r.rotation) parts.push(`rot ${r.rotation}°`);
  if (r.fps != null) parts.push(`${Math.round(r.fps * 1000) / 1000} fps${r.vfr ? " vfr" : ""}`);
  if (r.duration_s != null) parts.push(`${r.duration_s.toFixed(2)} s`);
  if (r.codec) parts.push(r.codec);
  if (r.sample_rate) parts.push(`${r.sample_rate} Hz`);
  if (r.bytes != null) parts.push(humanBytes(r.bytes));
  return parts.join(" ");
}

function ruleItem(v, cls) {
  const li = document.createElement("li");
  li.className = cls;
  li.dataset.rule = v.rule;
  const code = document.createElement("code");
  code.textContent = v.rule;
  const msg = document.createElement("span");
  msg.className = "message";
  msg.textContent = v.message;
  li.append(code, ": ", msg);
  return li;
}

function renderFile(entry) {
  const { report: r, read } = entry;
  const li = entry.li ?? document.createElement("li");
  entry.li = li;
  li.replaceChildren();
  li.className = `file ${r.verdict}`;
  li.dataset.name = entry.file.name;
  li.dataset.verdict = r.verdict;

  const head = document.createElement("div");
  head.className = "head";
  const verdict = document.createElement("span");
  verdict.className = "verdict";
  verdict.textContent = r.verdict.toUpperCase();
  const name = document.createElement("span");
  name.className = "name";
  name.textContent = r.path;
  const about = document.createElement("span");
  about.className = "about";
  about.textContent = describe(r);
  const readNote = document.createElement("span");
  readNote.className = "read";
  readNote.textContent = `read ${humanBytes(read)} of ${humanBytes(entry.file.size)}`;
  head.append(verdict, name, about, readNote);

  const rules = document.createElement("ul");
  rules.className = "rules";
  for (const v of r.violations) rules.append(ruleItem(v, "violation"));
  for (const w of r.warnings) rules.append(ruleItem(w, "warning"));

  const details = document.createElement("details");
  const summary = document.createElement("summary");
  summary.textContent = "report (JSON, as preflight check --format json)";
  const pre = document.createElement("pre");
  pre.className = "json report";
  pre.textContent = JSON.stringify(r, null, 2);
  details.append(summary, pre);

  li.append(head, rules, details);
  return li;
}

function plural(n, one, many) {
  return n === 1 ? `1 ${one}` : `${n} ${many}`;
}

// The CLI's closing lines: counts, then how many files broke each rule.
function renderSummary() {
  const n = { pass: 0, fail: 0, error: 0 };
  const byRule = new Map();
  for (const { report: r } of checked) {
    n[r.verdict] += 1;
    for (const v of [...r.violations, ...r.warnings]) byRule.set(v.rule, (byRule.get(v.rule) ?? 0) + 1);
  }
  const s = $("summary");
  if (checked.length === 0) {
    s.textContent = "No file checked yet.";
    return;
  }
  const rules = [...byRule].sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, v]) => `${k} ${v}`);
  s.textContent =
    `${plural(checked.length, "file", "files")} checked against ${profileSelect.value}: ` +
    `${n.pass} passed, ${n.fail} failed, ${plural(n.error, "error", "errors")}` +
    (rules.length ? `; by rule: ${rules.join(", ")}` : "");
}

// The request of the passing files, in the order they were added.
function renderRequest() {
  const items = checked
    .filter(({ report: r }) => r.verdict === "pass")
    .map(({ report: r }) => ({ id: `<ID of ${r.path}>`, kind: r.kind, duration_s: r.duration_s ?? null }));
  const out = request(items, { text: $("text").value || undefined, mode: $("mode").value, profile: profileSelect.value });
  const rules = $("request-rules");
  rules.replaceChildren(
    ...out.violations.map((v) => ruleItem(v, "violation")),
    ...out.warnings.map((w) => ruleItem(w, "warning")),
  );
  $("content").textContent = out.content === null ? "(no content: the bundle breaks the rules above)" : JSON.stringify(out.content, null, 2);
  $("request").dataset.verdict = out.verdict;
}

async function checkEntry(entry) {
  let read = 0;
  entry.report = await check(entry.file, profileSelect.value, {
    onRead: (_offset, length) => {
      read += length;
    },
  });
  entry.read = read;
}

async function track(work) {
  pending += 1;
  document.body.dataset.busy = "true";
  try {
    await work();
  } finally {
    pending -= 1;
    if (pending === 0) delete document.body.dataset.busy;
    renderSummary();
    renderRequest();
  }
}

async function add(files) {
  await track(async () => {
    for (const file of files) {
      const entry = { file };
      await checkEntry(entry);
      checked.push(entry);
      results.append(renderFile(entry));
      renderSummary();
    }
  });
}

$("files").addEventListener("change", (e) => {
  add([...e.target.files]);
  e.target.value = "";
});
const drop = $("drop");
drop.addEventListener("dragover", (e) => {
  e.preventDefault();
  drop.classList.add("over");
});
drop.addEventListener("dragleave", () => drop.classList.remove("over"));
drop.addEventListener("drop", (e) => {
  e.preventDefault();
  drop.classList.remove("over");
  add([...e.dataTransfer.files]);
});
profileSelect.addEventListener("change", () =>
  track(async () => {
    for (const entry of checked) {
      await checkEntry(entry);
      renderFile(entry);
    }
  }),
);
$("text").addEventListener("input", renderRequest);
$("mode").addEventListener("change", renderRequest);
document.body.dataset.ready = "true";
renderRequest();
