// The package in Node: every fixture under testdata/ checked through a Blob
// (ranges read with Blob.slice) and through a Uint8Array gives the report
// `preflight check --format json` gives, for every built-in profile; a 50 MB
// MP4 with its moov at the end costs less than 1 MB of reads.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { closeSync, mkdtempSync, openAsBlob, openSync, readFileSync, readSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { cliReports, fixtures, makeBigMp4, moovOffset, pkg, root, BIG_MIN_BYTES } from "./common.mjs";

const wasm = await import(path.join(pkg, "preflight_wasm.js"));
await wasm.default({ module_or_path: readFileSync(path.join(pkg, "preflight_wasm_bg.wasm")) });

const files = fixtures();

describe("every fixture, every built-in profile: the CLI's report", () => {
  test("testdata has the fixtures", () => {
    assert.ok(files.length >= 100, `only ${files.length} files under testdata/`);
  });
  for (const profile of wasm.profiles().map((p) => p.name)) {
    test(profile, async () => {
      const cli = cliReports(["--profile", profile, "testdata"]);
      assert.deepEqual(cli.map((r) => r.path), files, "the CLI checked another set of files");
      for (const expected of cli) {
        const file = path.join(root, expected.path);
        const viaBlob = await wasm.check(await openAsBlob(file), profile, { name: expected.path });
        assert.deepStrictEqual(viaBlob, expected, `${expected.path} (Blob, ${profile})`);
        if (profile === "seedance2") {
          const viaBytes = await wasm.check(readFileSync(file), profile, { name: expected.path });
          assert.deepStrictEqual(viaBytes, expected, `${expected.path} (Uint8Array)`);
        }
      }
    });
  }
});

test("a TOML profile and the same profile as an object: the CLI's report with --profile FILE.toml", async () => {
  const toml = 'name = "tight"\n[image]\nmax_width = 1000\nmax_height = 1000\n[video]\nmax_duration_s = 5.0\n';
  const dir = mkdtempSync(path.join(tmpdir(), "preflight-wasm-"));
  const tomlPath = path.join(dir, "tight.toml");
  writeFileSync(tomlPath, toml);
  try {
    const cli = cliReports(["--profile", tomlPath, "testdata"]);
    const asObject = { name: "tight", image: { max_width: 1000, max_height: 1000 }, video: { max_duration_s: 5 } };
    let failed = 0;
    for (const expected of cli) {
      const blob = await openAsBlob(path.join(root, expected.path));
      assert.deepStrictEqual(await wasm.check(blob, toml, { name: expected.path }), expected, expected.path);
      assert.deepStrictEqual(await wasm.check(blob, asObject, { name: expected.path }), expected, expected.path);
      failed += expected.violations.some((v) => v.rule === "image.width" || v.rule === "video.duration");
    }
    assert.ok(failed > 0, "the tight profile failed no file: it was not applied");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("--max-read is maxRead", async () => {
  const cli = cliReports(["--max-read", "70000", "testdata/audio", "testdata/video"]);
  const limited = cli.filter((r) => r.violations.some((v) => v.rule === "file.limit"));
  assert.ok(limited.length > 0, "no file needs more than 70000 bytes: pick a smaller cap");
  for (const expected of cli) {
    const bytes = readFileSync(path.join(root, expected.path));
    const got = await wasm.check(bytes, null, { name: expected.path, maxRead: 70000 });
    assert.deepStrictEqual(got, expected, expected.path);
  }
});

test("the name comes from a File, and a Blob without one has none", async () => {
  const data = readFileSync(path.join(root, files.find((f) => f.endsWith(".png"))));
  const r = await wasm.check(new File([data], "picture.jpg"));
  assert.equal(r.path, "picture.jpg");
  assert.ok(r.warnings.some((w) => w.rule === "file.extension_mismatch"), JSON.stringify(r.warnings));
  const anonymous = await wasm.check(new Blob([data]));
  assert.equal(anonymous.path, "");
  assert.ok(!anonymous.warnings.some((w) => w.rule === "file.extension_mismatch"));
});

test("bad arguments are TypeErrors; an unknown profile names the built-in ones", async () => {
  await assert.rejects(wasm.check(42), TypeError);
  await assert.rejects(wasm.check(new Uint8Array(4), null, { maxRead: 0 }), TypeError);
  await assert.rejects(wasm.check(new Uint8Array(4), "nope"), /unknown profile "nope".*seedance2/);
  await assert.rejects(wasm.check(new Uint8Array(4), { image: { min_width: 10, max_width: 5 } }), Error);
});

test("a read that fails is file.unreadable; a Blob that gives less than its size is file.incomplete", async () => {
  const broken = { size: 1000, slice: () => ({ arrayBuffer: () => Promise.reject(new Error("NotReadableError: gone")) }) };
  const r = await wasm.check(broken, null, { name: "gone.jpg" });
  assert.equal(r.verdict, "error");
  assert.deepEqual(r.violations.map((v) => v.rule), ["file.unreadable"]);
  assert.match(r.violations[0].message, /cannot read: .*gone/);
  const short = { size: 1000, slice: () => new Blob([new Uint8Array(10)]) };
  const s = await wasm.check(short, null, { name: "short.jpg" });
  assert.deepEqual(s.violations.map((v) => v.rule), ["file.incomplete"]);
});

test("probe measures, and rejects with the rule id", async () => {
  const png = files.find((f) => /\/ok_.*\.png$/.test(f));
  const info = await wasm.probe(await openAsBlob(path.join(root, png)));
  const [cli] = cliReports([png]);
  assert.equal(info.format, "png");
  assert.equal(info.width, cli.width);
  assert.equal(info.height, cli.height);
  const bad = cliReports(["testdata/hostile"]).find((r) => r.verdict === "error");
  assert.ok(bad, "no hostile fixture errors");
  await assert.rejects(
    wasm.probe(readFileSync(path.join(root, bad.path))),
    (e) => e.rule === bad.violations[0].rule,
  );
});

test("request: the content array of passing reports, and the request rules", () => {
  const cli = cliReports(["testdata"]);
  const passing = cli.filter((r) => r.verdict === "pass");
  const image = passing.find((r) => r.kind === "image");
  const video = passing.find((r) => r.kind === "video");
  const out = wasm.request([{ ...video, id: "v1" }, { ...image, id: "i1" }], { text: "a cat" });
  assert.equal(out.verdict, "pass");
  assert.deepStrictEqual(out.content, [
    { type: "text", text: "a cat" },
    { type: "image_url", image_url: { url: "asset://i1" }, role: "reference_image" },
    { type: "video_url", video_url: { url: "asset://v1" }, role: "reference_video" },
  ]);
  const audioOnly = wasm.request([{ id: "a", kind: "audio", duration_s: 3 }]);
  assert.equal(audioOnly.verdict, "fail");
  assert.equal(audioOnly.content, null);
  assert.deepEqual(audioOnly.violations.map((v) => v.rule), ["request.audio_only"]);
  assert.throws(() => wasm.request("x"), TypeError);
});

describe("a 50 MB MP4 with its moov at the end", () => {
  let big;
  before(() => {
    big = makeBigMp4();
  });
  after(() => big?.remove());

  test("reads less than 1 MB of it, and reports what the CLI reports", async () => {
    const fd = openSync(big.file, "r");
    const readAt = (at, n) => {
      const b = Buffer.alloc(n);
      return b.subarray(0, readSync(fd, b, 0, n, at));
    };
    const moov = moovOffset(readAt, big.size);
    closeSync(fd);
    assert.ok(moov > BIG_MIN_BYTES * 0.9, `moov at ${moov}: not at the end of ${big.size} bytes`);

    const blob = await openAsBlob(big.file);
    let sliced = 0;
    let slices = 0;
    // A Blob-like wrapper that counts every byte asked for.
    const counted = {
      size: blob.size,
      name: "moov_at_end.mp4",
      slice: (a, b) => {
        sliced += Math.min(b, blob.size) - a;
        slices += 1;
        return blob.slice(a, b);
      },
    };
    let reported = 0;
    const r = await wasm.check(counted, null, { onRead: (_o, n) => (reported += n) });
    assert.ok(sliced < 1 << 20, `read ${sliced} bytes of ${big.size}`);
    assert.equal(reported, sliced, "onRead tells the same count");
    const [cli] = cliReports([big.file]);
    assert.deepStrictEqual(r, { ...cli, path: "moov_at_end.mp4" });
    assert.equal(r.kind, "video");
    console.log(`# moov-at-end MP4: ${big.size} bytes, ${sliced} read in ${slices} slices; verdict ${r.verdict}`);
  });
});
