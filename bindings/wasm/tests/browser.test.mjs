// The demo page in headless Chromium (Debian's, driven by playwright-core):
// every fixture set on the page's file input gives the verdict, rule ids,
// messages and report the CLI gives; a few files make the screenshot; a
// 50 MB MP4 with its moov at the end is checked from less than 1 MB of reads.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { chromium } from "playwright-core";
import { binding, cliReports, fixtures, makeBigMp4, pkg, root } from "./common.mjs";

const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";
const SCREENSHOT = process.env.SCREENSHOT ?? path.join(binding, "demo", "screenshot.png");
const TYPES = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".wasm": "application/wasm",
  ".json": "application/json",
  ".png": "image/png",
};

/** Serves demo/ and pkg/ of the binding on 127.0.0.1, nothing else. */
function serve() {
  const server = createServer((req, res) => {
    const url = new URL(req.url, "http://127.0.0.1");
    const rel = path.posix.normalize(decodeURIComponent(url.pathname)).replace(/^\/+/, "");
    const top = rel.split("/")[0];
    const file = path.join(binding, rel);
    if ((top !== "demo" && top !== "pkg") || !file.startsWith(binding + path.sep) || !existsSync(file)) {
      res.writeHead(404).end("not found");
      return;
    }
    res.writeHead(200, { "content-type": TYPES[path.extname(file)] ?? "application/octet-stream" });
    res.end(readFileSync(file));
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server)));
}

// Counts, in the page, every byte read from a Blob: sliced, and turned into
// bytes by any of the Blob's readers.
function countReads() {
  const count = { sliced: 0, slices: 0, read: 0 };
  window.__reads = count;
  const slice = Blob.prototype.slice;
  Blob.prototype.slice = function (start = 0, end = this.size, type) {
    const a = Math.max(0, Math.min(start < 0 ? this.size + start : start, this.size));
    const b = Math.max(a, Math.min(end < 0 ? this.size + end : end, this.size));
    count.sliced += b - a;
    count.slices += 1;
    return slice.call(this, start, end, type);
  };
  for (const m of ["arrayBuffer", "text", "bytes", "stream"]) {
    const orig = Blob.prototype[m];
    if (!orig) continue;
    Blob.prototype[m] = function (...args) {
      count.read += this.size;
      return orig.apply(this, args);
    };
  }
}

describe("the demo page in headless Chromium", () => {
  let server;
  let browser;
  let base;
  let big;

  before(async () => {
    assert.ok(existsSync(path.join(pkg, "preflight_wasm_bg.wasm")), "build the package first (bindings/wasm/build.sh)");
    big = makeBigMp4();
    server = await serve();
    base = `http://127.0.0.1:${server.address().port}`;
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
      ],
    });
  });
  after(async () => {
    await browser?.close();
    server?.close();
    big?.remove();
  });

  async function openDemo() {
    const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
    const errors = [];
    page.on("pageerror", (e) => errors.push(e));
    // Nothing leaves the page: any request off this server fails the test.
    const offsite = [];
    page.on("request", (r) => {
      if (!r.url().startsWith(base)) offsite.push(r.url());
    });
    await page.addInitScript(countReads);
    await page.goto(`${base}/demo/index.html`);
    await page.waitForSelector("body[data-ready]", { timeout: 30_000 });
    return { page, errors, offsite };
  }

  async function addFiles(page, paths) {
    const before = await page.locator("#results li.file").count();
    await page.setInputFiles("#files", paths.map((p) => path.resolve(root, p)));
    await page.waitForFunction(
      (n) => document.querySelectorAll("#results li.file").length === n && !document.body.dataset.busy,
      before + paths.length,
      { timeout: 120_000 },
    );
  }

  /** What the page shows for each file, in order. */
  function readResults(page) {
    return page.$$eval("#results li.file", (lis) =>
      lis.map((li) => ({
        name: li.dataset.name,
        verdict: li.querySelector(".verdict").textContent,
        violations: [...li.querySelectorAll(".rules li.violation")].map((x) => [x.dataset.rule, x.querySelector(".message").textContent]),
        warnings: [...li.querySelectorAll(".rules li.warning")].map((x) => [x.dataset.rule, x.querySelector(".message").textContent]),
        report: JSON.parse(li.querySelector("pre.report").textContent),
      })),
    );
  }

  function assertSameAsCli(shown, cli) {
    assert.equal(shown.length, cli.length);
    for (const [i, expected] of cli.entries()) {
      const got = shown[i];
      const name = path.basename(expected.path);
      assert.equal(got.name, name);
      assert.equal(got.verdict, expected.verdict.toUpperCase(), expected.path);
      assert.deepEqual(got.violations, expected.violations.map((v) => [v.rule, v.message]), expected.path);
      assert.deepEqual(got.warnings, expected.warnings.map((v) => [v.rule, v.message]), expected.path);
      assert.deepStrictEqual(got.report, { ...expected, path: name }, expected.path);
    }
  }

  test("every fixture: the verdicts, rule ids and messages of the CLI", async () => {
    const files = fixtures();
    const cli = cliReports(["testdata"]);
    assert.deepEqual(cli.map((r) => r.path), files);
    const { page, errors, offsite } = await openDemo();
    await addFiles(page, files);
    assertSameAsCli(await readResults(page), cli);
    const n = { pass: 0, fail: 0, error: 0 };
    for (const r of cli) n[r.verdict] += 1;
    const summary = await page.textContent("#summary");
    assert.match(summary, new RegExp(`^${files.length} files checked against seedance2: ${n.pass} passed, ${n.fail} failed, ${n.error} errors`));
    // The page read headers, not files.
    const reads = await page.evaluate(() => window.__reads);
    assert.equal(reads.read, reads.sliced, "every byte read came through Blob.slice");
    assert.deepEqual(errors, []);
    assert.deepEqual(offsite, []);
    await page.close();
  });

  test("a few files, another profile, the request's content array, and the screenshot", async () => {
    const cli = cliReports(["testdata"]);
    const pick = (re) => {
      const r = cli.find((x) => re.test(x.path));
      assert.ok(r, `no fixture matches ${re}`);
      return r.path;
    };
    const chosen = [
      pick(/^testdata\/image\/ok_.*\.jpe?g$/),
      pick(/^testdata\/video\/ok_.*\.mp4$/),
      pick(/^testdata\/audio\/ok_.*\.mp3$/),
      pick(/^testdata\/image\/err_.*\.png$/),
      pick(/^testdata\/video\/err_.*duration.*\.mp4$/),
      pick(/^testdata\/unsupported\/.*\.webm$/),
      pick(/^testdata\/hostile\/.*\.mp4$/),
      big.file,
    ];
    const { page, errors } = await openDemo();
    await addFiles(page, chosen);
    const expected = cliReports(chosen);
    const byPath = new Map(expected.map((r) => [r.path, r]));
    assertSameAsCli(await readResults(page), chosen.map((p) => byPath.get(p)));

    // The content array: the passing files in the order added.
    const content = JSON.parse(await page.textContent("#content"));
    const passing = chosen.map((p) => byPath.get(p)).filter((r) => r.verdict === "pass");
    assert.ok(passing.length >= 2, "pick fixtures that pass");
    const types = content.map((c) => c.type);
    assert.equal(types[0], "text");
    assert.equal(content.length, passing.length + 1);
    const order = { image: 1, video: 2, audio: 3 };
    assert.deepEqual(types.slice(1), passing.map((r) => `${r.kind}_url`).sort((a, b) => order[a.split("_")[0]] - order[b.split("_")[0]]));
    for (const r of passing) {
      const t = `${r.kind}_url`;
      assert.ok(content.some((c) => c.type === t && c[t].url === `asset://<ID of ${path.basename(r.path)}>`), r.path);
    }
    await page.screenshot({ path: SCREENSHOT, fullPage: true });

    // Another profile re-checks every file: the CLI's verdicts under it.
    await page.selectOption("#profile", "veo3");
    await page.waitForFunction(() => !document.body.dataset.busy && document.querySelector("#summary").textContent.includes("veo3"));
    const underVeo = cliReports(["--profile", "veo3", ...chosen]);
    const veoByPath = new Map(underVeo.map((r) => [r.path, r]));
    assertSameAsCli(await readResults(page), chosen.map((p) => veoByPath.get(p)));
    assert.deepEqual(errors, []);
    await page.close();
  });

  test("a 50 MB MP4 with its moov at the end: less than 1 MB read", async () => {
    const { page, errors } = await openDemo();
    await page.evaluate(() => Object.assign(window.__reads, { sliced: 0, slices: 0, read: 0 }));
    await addFiles(page, [big.file]);
    const reads = await page.evaluate(() => window.__reads);
    assert.ok(reads.sliced < 1 << 20, `sliced ${reads.sliced} bytes of ${big.size}`);
    assert.ok(reads.read < 1 << 20, `read ${reads.read} bytes of ${big.size}`);
    const [cli] = cliReports([big.file]);
    const [shown] = await readResults(page);
    assert.deepStrictEqual(shown.report, { ...cli, path: path.basename(big.file) });
    assert.equal(shown.report.kind, "video");
    assert.deepEqual(errors, []);
    console.log(`# in the page: ${big.size} bytes, ${reads.sliced} sliced in ${reads.slices} slices, verdict ${shown.report.verdict}`);
    await page.close();
  });
});
