// kurento-utils does `try { require('kurento-browser-extensions') } catch { ...define a
// getScreenConstraints fallback... }`. npm resolves that name to an empty third-party
// stub, which would skip the catch and leave `getScreenConstraints` undefined (screen
// sharing would then die with a ReferenceError). Throwing here takes the same path as
// the upstream bundle, where the optional module was absent: a clear error callback.
throw new Error('kurento-browser-extensions is not bundled');
