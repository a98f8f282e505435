// Browsers and bundlers (the "browser" and "default" export conditions): fetch
// and compile the wasm next to this file. `new URL(..., import.meta.url)` is the
// pattern bundlers (Vite, webpack 5, Parcel, Rollup) recognise as an asset.
import init from "./edgeflag_wasm.js";

await init({ module_or_path: new URL("./edgeflag_wasm_bg.wasm", import.meta.url) });

export * from "./edgeflags.js";
