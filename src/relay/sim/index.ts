/**
 * The Relay network simulator behind `relay-monitor demo`: nodes serving the SDK's metrics on
 * loopback, channels and users following the seed's scenarios, P2P, consensus, economy, a
 * postgres_exporter-style database, days of history written through an Appender, and faults
 * injected on a schedule or by API with their ground truth kept.
 */
export {
  type Demo,
  type DemoOptions,
  type DemoScrapeJob,
  type FaultApi,
  type FaultApiResponse,
  faultApi,
  startDemo,
} from "./demo.js";
export type { RelayEvent } from "./events.js";
export { DB_FAMILIES, HOST_FAMILIES } from "./families.js";
export {
  defaultHistoryFaults,
  FAULT_KINDS,
  type Fault,
  FaultInjector,
  type FaultInjectorOptions,
  type FaultKind,
  FaultRequestError,
  type FaultSpec,
  MAX_FAULT_MS,
} from "./faults.js";
export {
  defaultInstances,
  type EventSink,
  type HistoryStats,
  httpEventSink,
  type SimLogger,
  type TargetInstances,
  type WriteHistoryOptions,
  writeHistory,
} from "./history.js";
export { LiveNetwork, type LiveOptions } from "./live.js";
export { nodeNames } from "./network.js";
export { Rng } from "./rng.js";
export { Simulation, type SimulationOptions } from "./simulation.js";
export { activityCurve, COFFEE_SHOP, isWeekend } from "./world.js";
