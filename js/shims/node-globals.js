// Injected into every bundled module that uses these free variables: some of
// kurento-client's stream dependencies (duplexify, through2, end-of-stream,
// websocket-stream) call process.nextTick, check process.title === 'browser', or use
// Buffer without requiring it, as they did under browserify's automatic globals.
export { default as process } from 'process/browser.js';
export { Buffer } from 'buffer';
