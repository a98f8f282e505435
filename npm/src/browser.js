// Browsers and bundlers (the "browser" and "default" export conditions): the
// size-tuned build, fetched and compiled from next to this file. `new URL(...,
// import.meta.url)` is the pattern bundlers (Vite, webpack 5, Parcel, Rollup)
// recognise as an asset. The console's extras are in "edgeflag/console".
import init from "./edgeflag_web.js";

await init({ module_or_path: new URL("./edgeflag_web_bg.wasm", import.meta.url) });

export * from "./edgeflags_web.js";
