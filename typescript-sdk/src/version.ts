// The package's version, as in package.json and openapi/client-config.yaml (the Python client's): test/package.test.ts
// holds the three equal.
export const VERSION = '1.4.0';
