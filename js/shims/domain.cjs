// Browser stand-in for Node's `domain` module.
// kurento-client's TransactionsManager does `require('domain').Domain || FakeDomain`;
// exporting no `Domain` makes it use its own EventEmitter-based FakeDomain, which is
// what browserify's domain-browser led to in the upstream bundle, and what Node >= 16
// needs anyway (see shared/specs/kurento-protocol.md §7.1 item 3).
module.exports = {};
