import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { MetricMetadata } from "../../model/index.js";
import type { Appender, Querier, Storage } from "../../storage/index.js";
import { Head } from "../head.js";
import { MergeQuerier } from "./merge.js";
import { BlockStore, type BlockStoreOptions } from "./store.js";

/** @internal A fresh temporary directory; `cleanup` removes it. */
export function tempDir(prefix = "rm-block-"): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * @internal A head plus blocks, as the DB composes them, without a WAL: after each commit, data
 * older than `keepMs` before the newest sample is flushed into blocks.
 */
export class HeadWithBlocks implements Storage {
  readonly head = new Head();
  readonly blocks: BlockStore;

  constructor(
    dir: string,
    private readonly keepMs = 100,
    options: BlockStoreOptions = {},
  ) {
    this.blocks = BlockStore.open(dir, { logger: { warn: () => {} }, ...options });
  }

  appender(): Appender {
    const app = this.head.appender();
    const commit = app.commit.bind(app);
    app.commit = async () => {
      await commit();
      await this.blocks.flushHead(this.head, this.head.maxTime - this.keepMs);
    };
    return app;
  }

  querier(mint: number, maxt: number): Querier {
    return new MergeQuerier([...this.blocks.queriers(mint, maxt), this.head.querier(mint, maxt)]);
  }

  metadata(metric?: string, limit?: number): Map<string, MetricMetadata[]> {
    return this.head.metadata(metric, limit);
  }

  close(): Promise<void> {
    return this.blocks.close();
  }
}
