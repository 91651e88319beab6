/**
 * Analysis: the numeric core (regression, Holt–Winters, backtests, robust seasonal baselines,
 * lagged correlation) and, on top of it, the performance analyzer, capacity planner, anomaly
 * detector and correlation engine. Reads data only through PromQL; writes series through an
 * Appender.
 */

export * from "./analyzer.js";
export * from "./anomaly.js";
export * from "./capacity.js";
export * from "./config.js";
export * from "./correlate.js";
export * from "./correlation.js";
export * from "./detector.js";
export * from "./forecast.js";
export * from "./grid.js";
export * from "./names.js";
export * from "./report.js";
export * from "./source.js";
export * from "./stats.js";
export * from "./synthetic.js";
