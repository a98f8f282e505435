// Node (the "node" export condition): compile the wasm from the package's file.
import { readFileSync } from "node:fs";
import { initSync } from "./edgeflag_wasm.js";

initSync({ module: readFileSync(new URL("./edgeflag_wasm_bg.wasm", import.meta.url)) });

export * from "./edgeflags.js";
