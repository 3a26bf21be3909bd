// Builds the browser bundles that Gorento's demo/test pages load:
//   web/static/vendor/kurento-client.js  -> global `kurentoClient`
//   web/static/vendor/kurento-utils.js   -> global `kurentoUtils`
//   web/static/vendor/KurentoRoom.js     -> global `KurentoRoom` (our own room
//     client, web/static/js/kurento-room.mjs, as a plain script)
// They stand in for the upstream browserify "standalone" bundles, built from the
// unmodified npm packages so the pages exercise the real client code.
// Run with `npm run build` (after `npm ci --ignore-scripts`).
import * as esbuild from 'esbuild';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const here = path.dirname(fileURLToPath(import.meta.url));
const outdir = path.resolve(here, '../web/static/vendor');

const common = {
  bundle: true,
  format: 'iife',
  platform: 'browser', // honours package.json "browser" fields (ws, websocket-stream, uuid...)
  target: ['es2018'],
  minify: true,
  sourcemap: false,
  legalComments: 'eof', // keep the packages' license headers, once, at the end
  // Paths inside the output are relative to this dir, so the bytes do not depend
  // on where the repo is checked out: same inputs -> same output.
  absWorkingDir: here,
  logLevel: 'warning',
  // Node built-ins the packages require, mapped to browser implementations.
  alias: {
    stream: 'stream-browserify',
    domain: './shims/domain.cjs',
    'kurento-browser-extensions': './shims/no-browser-extensions.cjs',
    // events, util, buffer and url resolve to the npm packages of the same name.
  },
  inject: ['./shims/node-globals.js'], // free `process` and `Buffer`
  define: { global: 'globalThis' },
};

const bundles = [
  // index.js's module.exports is the kurentoClient(wsUri, [options], [callback])
  // function, with getComplexType, register, ... hung on it.
  { entry: 'kurento-client/lib/index.js', globalName: 'kurentoClient', out: 'kurento-client.js' },
  // index.js exports { WebRtcPeer }, i.e. kurentoUtils.WebRtcPeer.WebRtcPeerSendrecv etc.
  { entry: 'kurento-utils/lib/index.js', globalName: 'kurentoUtils', out: 'kurento-utils.js' },
];

for (const b of bundles) {
  await esbuild.build({
    ...common,
    entryPoints: [b.entry],
    globalName: b.globalName,
    outfile: path.join(outdir, b.out),
  });
  console.log(`built ${path.relative(path.resolve(here, '..'), path.join(outdir, b.out))}`);
}

// Our Kurento Room client: the ES module is the source of truth; the plain
// script exposes its default export (with .Room, .Participant, .Stream) as the
// global `KurentoRoom`, like upstream's KurentoRoom.js. No shims: the module
// only uses browser APIs.
{
  const out = path.join(outdir, 'KurentoRoom.js');
  await esbuild.build({
    stdin: {
      contents: "import KurentoRoom from '../web/static/js/kurento-room.mjs';\nwindow.KurentoRoom = KurentoRoom;\n",
      resolveDir: here,
      sourcefile: 'kurento-room-global.js',
    },
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: ['es2018'],
    minify: false,
    sourcemap: false,
    absWorkingDir: here,
    logLevel: 'warning',
    banner: { js: '// KurentoRoom.js for Gorento: built by js/build.mjs from web/static/js/kurento-room.mjs. Do not edit.' },
    outfile: out,
  });
  console.log(`built ${path.relative(path.resolve(here, '..'), out)}`);
}
