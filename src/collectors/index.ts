/**
 * Built-in collectors: sources of metric families the scraper reads like any target. The host
 * collector exposes what node_exporter exposes on Linux, under the same names, labels and units,
 * so stock node_exporter dashboards and alert rules work unchanged.
 */
export { CollectorError, type StatFsFn, type StatFsResult } from "./context.js";
export { DEFAULT_DISK_EXCLUDE } from "./diskstats.js";
export { DEFAULT_FS_TYPES_EXCLUDE, DEFAULT_MOUNT_POINTS_EXCLUDE } from "./filesystem.js";
export {
  type Collector,
  HOST_COLLECTOR_NAMES,
  HostCollector,
  type HostCollectorName,
  type HostCollectorOptions,
  type Pattern,
} from "./host.js";
export type { Clock } from "./system.js";
