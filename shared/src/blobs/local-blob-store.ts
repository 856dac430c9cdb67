/**
 * The blob store on a local directory (the default, under `.data/blobs`): one
 * file per object in a folder per day. Writes go to a temporary file first and
 * are renamed into place, so a reader never sees half an object.
 */
import { randomUUID } from "node:crypto";
import { mkdir, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { type BlobStore, isBlobKey } from "./blob-store.js";

export class LocalBlobStore implements BlobStore {
  readonly kind = "local";

  constructor(private readonly root: string) {}

  private path(key: string): string {
    if (!isBlobKey(key)) throw new Error(`not a blob key: ${key}`);
    return join(this.root, key);
  }

  async put(key: string, body: Buffer): Promise<void> {
    const path = this.path(key);
    await mkdir(dirname(path), { recursive: true });
    const temporary = `${path}.${randomUUID()}.tmp`;
    await writeFile(temporary, body);
    await rename(temporary, path);
  }

  async get(key: string): Promise<Buffer | null> {
    try {
      return await readFile(this.path(key));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
      throw error;
    }
  }

  async deleteDaysBefore(day: string): Promise<number> {
    let days: string[];
    try {
      days = await readdir(this.root);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return 0;
      throw error;
    }
    const expired = days.filter((name) => /^\d{4}-\d{2}-\d{2}$/.test(name) && name < day);
    await Promise.all(expired.map((name) => rm(join(this.root, name), { recursive: true, force: true })));
    return expired.length;
  }
}
