/**
 * The storage interfaces between stages (Appender, Querier, Queryable) and the errors a store
 * raises. Implementations live in src/tsdb (embedded) and src/remote (remote engine).
 */
export * from "./errors.js";
export * from "./interface.js";
