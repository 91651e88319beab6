/**
 * The Relay domain: the metrics SDK that Relay nodes embed (`./sdk`) and the network simulator
 * behind `relay-monitor demo` (`./sim`). Other folders import the Relay domain only from here.
 */
export * from "./sdk/index.js";
export * from "./sim/index.js";
