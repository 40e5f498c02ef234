// llama.cpp (node-llama-cpp, prebuilt CPU build, offline) as the oracle of
// ft-export's GGUF files.
//   node gguf_check.js MODEL.gguf IDS_JSON OUT.bin [LORA.gguf] [GREEDY_N]
// Evaluates the token ids IDS_JSON (a JSON array) in one sequence, KV cache
// F32, flash attention off, and writes llama.cpp's next-token probability
// rows at every position as log-probabilities, float32 [T, n_vocab], to
// OUT.bin.  With GREEDY_N > 0 it then continues greedily GREEDY_N tokens.
// Prints one JSON line: {"n_vocab", "T", "top": [argmax per position],
// "greedy": [...], "arch"}.
const path = require("path");
const fs = require("fs");
const nm = process.env.FT_NODE_MODULES || path.join(__dirname, "../../build/node_modules");
const { pathToFileURL } = require("url");

async function main() {
    // an ES module with top-level await: import(), not require()
    const { getLlama, LlamaLogLevel } = await import(pathToFileURL(path.join(nm, "node-llama-cpp/dist/index.js")).href);
    const [modelPath, idsJson, outBin, lora, greedyArg] = process.argv.slice(2);
    const ids = JSON.parse(idsJson);
    const greedyN = parseInt(greedyArg || "0", 10);
    // build "never": the prebuilt binaries only, never a download or a compiler
    const llama = await getLlama({ gpu: false, build: "never", logLevel: LlamaLogLevel.error });
    const model = await llama.loadModel({ modelPath, gpuLayers: 0 });
    const ctxOpts = { contextSize: 64, batchSize: 64, threads: 1, flashAttention: false,
                      experimentalKvCacheKeyType: "F32", experimentalKvCacheValueType: "F32" };
    if (lora && lora !== "-") ctxOpts.lora = { adapters: [{ filePath: lora, scale: 1 }] };
    const ctx = await model.createContext(ctxOpts);
    const seq = ctx.getSequence();
    const items = ids.map((t) => [t, { generateNext: { probabilities: true } }]);
    const res = await seq.controlledEvaluate(items);
    const nV = model.fileInfo.metadata.tokenizer.ggml.tokens.length;
    const out = new Float32Array(ids.length * nV);
    const top = [];
    for (let i = 0; i < ids.length; i++) {
        const probs = res[i]?.next?.probabilities;
        if (!probs) throw new Error(`no probabilities at position ${i}`);
        const row = out.subarray(i * nV, (i + 1) * nV);
        row.fill(-Infinity);
        for (const [tok, p] of probs) row[tok] = Math.log(p);
        top.push(probs.entries().next().value[0]);
    }
    fs.writeFileSync(outBin, Buffer.from(out.buffer));
    const greedy = [];
    if (greedyN > 0) {
        let next = top[top.length - 1];
        for (let k = 0; k < greedyN; k++) {
            greedy.push(next);
            const r = await seq.controlledEvaluate([[next, { generateNext: { token: true } }]]);
            next = r[0].next.token;
        }
    }
    console.log(JSON.stringify({ n_vocab: nV, T: ids.length, top, greedy,
                                 arch: model.fileInfo.metadata.general.architecture }));
    await ctx.dispose();
    await model.dispose();
    await llama.dispose();
}
main().catch((e) => { console.error("gguf_check.js: " + (e && e.stack || e)); process.exit(1); });
