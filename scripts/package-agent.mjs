// Placeholder until its issue lands (see the issue tracker).
console.error('decnet: `npm run package-agent` is not built yet');
process.exit(1);
