// Cloudflare Workers and other workerd hosts (the "workerd" and "worker" export
// conditions): compiling wasm from bytes at run time is not allowed there, so
// the module is imported statically and the bundler (wrangler) uploads it.
import { initSync } from "./edgeflag_wasm.js";
import wasm from "./edgeflag_wasm_bg.wasm";

initSync({ module: wasm });

export * from "./edgeflags.js";
