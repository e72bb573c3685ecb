// Type-checked (tsc --noEmit, strict) against the generated preflight_wasm.d.ts:
// the README's uses compile, and the types say what the reports hold.
import init, { check, probe, profiles, request } from "../pkg/preflight_wasm.js";
import type { Report, RequestReport, Violation } from "../pkg/preflight_wasm.js";

export async function uses(file: File, bytes: Uint8Array): Promise<string[]> {
  await init();
  const r: Report = await check(file);
  const rules: string[] = r.violations.map((v: Violation) => `${v.rule}: ${v.message}`);
  await check(file, "veo3");
  await check(file, { video: { max_duration_s: 8 } });
  await check(bytes, null, { name: "clip.mp4", maxRead: 8 << 20, onRead: (offset: number, length: number) => void [offset, length] });
  const info = await probe(file);
  const w: number | null = info.width;
  const names: string[] = profiles().map((p) => p.name);
  const out: RequestReport = request([{ ...r, id: "asset-1" }, { url: "https://example.com/a.png", type: "Image" }], { text: "a cat", mode: "first-last" });
  const verdict: "pass" | "fail" = out.verdict;
  // The types are real, not `any`: these must not compile.
  // @ts-expect-error a verdict is a string
  const n: number = r.verdict;
  // @ts-expect-error check takes a file, not a path
  await check("clip.mp4");
  return [...rules, String(w), ...names, verdict, String(out.content?.length), String(n)];
}
