// "edgeflag/console" in browsers: the full build (speed-tuned, with status,
// simulate, definitions and changedFlags) for pages such as the release
// console that need more than evaluation and can afford the bytes.
import init from "./edgeflag_wasm.js";

await init({ module_or_path: new URL("./edgeflag_wasm_bg.wasm", import.meta.url) });

export * from "./edgeflags.js";
