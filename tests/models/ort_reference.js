#!/usr/bin/env node
// ort_reference.js MODEL.onnx INPUTS.npy OUT.npy - runs every sample of
// INPUTS ([N, <input shape>], float32) through onnxruntime-node (the npm
// package pinned in package.json, installed with --ignore-scripts) and
// writes the outputs stacked as [N, <output shape>] float32. Reference
// outputs for tests/unit/test_oracle.c.
'use strict';
const fs = require('fs');
const ort = require('onnxruntime-node');

function readNpy(path) {
  const buf = fs.readFileSync(path);
  if (buf.toString('latin1', 1, 6) !== 'NUMPY') throw new Error(path + ': not an .npy file');
  const major = buf[6];
  const hlen = major === 1 ? buf.readUInt16LE(8) : buf.readUInt32LE(8);
  const start = major === 1 ? 10 : 12;
  const header = buf.toString('latin1', start, start + hlen);
  if (!/'descr':\s*'<f4'/.test(header) || /'fortran_order':\s*True/.test(header))
    throw new Error(path + ': expected little-endian float32 in C order');
  const shape = header.match(/'shape':\s*\(([^)]*)\)/)[1].split(',')
    .map((s) => s.trim()).filter((s) => s.length).map(Number);
  const off = start + hlen;
  const data = new Float32Array(buf.buffer.slice(buf.byteOffset + off, buf.byteOffset + buf.length));
  return { shape, data };
}

function writeNpy(path, shape, data) {
  let header = "{'descr': '<f4', 'fortran_order': False, 'shape': (" +
    shape.join(', ') + (shape.length === 1 ? ',' : '') + '), }';
  const pad = 64 - ((10 + header.length + 1) % 64);
  header += ' '.repeat(pad % 64) + '\n';
  const head = Buffer.alloc(10);
  head.write('\x93NUMPY', 0, 'latin1');
  head[6] = 1;
  head[7] = 0;
  head.writeUInt16LE(header.length, 8);
  fs.writeFileSync(path, Buffer.concat([head, Buffer.from(header, 'latin1'),
    Buffer.from(data.buffer, data.byteOffset, data.byteLength)]));
}

async function main() {
  const [model, inPath, outPath] = process.argv.slice(2);
  const session = await ort.InferenceSession.create(model);
  const x = readNpy(inPath);
  const n = x.shape[0], sampleShape = x.shape.slice(1);
  const per = sampleShape.reduce((a, b) => a * b, 1);
  const chunks = [];
  let outShape = null;
  for (let i = 0; i < n; i++) {
    const t = new ort.Tensor('float32', x.data.slice(i * per, (i + 1) * per), sampleShape);
    const r = await session.run({ [session.inputNames[0]]: t });
    const y = r[session.outputNames[0]];
    outShape = y.dims;
    chunks.push(Float32Array.from(y.data));
  }
  const all = new Float32Array(chunks.reduce((a, c) => a + c.length, 0));
  let o = 0;
  for (const c of chunks) { all.set(c, o); o += c.length; }
  writeNpy(outPath, [n, ...outShape], all);
}

main().catch((e) => { console.error('ort_reference: ' + e.message); process.exit(1); });
