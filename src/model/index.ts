/**
 * The shared vocabulary of Relay Monitor: label sets, matchers, durations, samples and metadata.
 * Imports nothing else of ours.
 */
export * from "./alert.js";
export * from "./duration.js";
export * from "./family.js";
export * from "./labels.js";
export * from "./matchers.js";
export * from "./regex.js";
export * from "./relabel.js";
export * from "./sample.js";
