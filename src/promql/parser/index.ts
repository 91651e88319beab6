/**
 * The PromQL parser: query text to a typed syntax tree (ast.ts), the function table, and
 * printing back to canonical text. Import only from here.
 */
export * from "./ast.js";
export * from "./functions.js";
