import { afterAll } from "vitest";
import { runStorageSuite } from "../storage.case.js";
import { HeadWithBlocks, tempDir } from "./testutil.js";

const tmp = tempDir();
afterAll(() => tmp.cleanup());
let n = 0;

runStorageSuite(
  "head + blocks (older data flushed to blocks after each commit)",
  () => new HeadWithBlocks(`${tmp.dir}/${n++}`),
);
