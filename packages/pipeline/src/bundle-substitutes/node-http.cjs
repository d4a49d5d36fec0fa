// What a function bundle gets for `node:http` (see `bundleSubstitutes`): the same module,
// read as CommonJS. An ESM import of node:http reads every export of the built-in,
// WebSocket among them, which loads Node's bundled undici: 20 to 50 ms of module init
// for a client that is never used. getBuiltinModule, not require, so the alias does not
// apply to this very line.
module.exports = process.getBuiltinModule('node:http');
