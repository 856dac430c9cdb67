/**
 * The blob store on S3 (in AWS): objects under an optional prefix, written with
 * server-side encryption. Whole days are deleted by listing their prefix and
 * deleting in batches of 1,000; the bucket's lifecycle rule (infra) expires
 * them as well, so a missed sweep still ends.
 */
import {
  DeleteObjectsCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  NoSuchKey,
  PutObjectCommand,
  type S3Client,
} from "@aws-sdk/client-s3";
import { type BlobStore, isBlobKey } from "./blob-store.js";

export class S3BlobStore implements BlobStore {
  readonly kind = "s3";

  constructor(
    private readonly client: S3Client,
    private readonly bucket: string,
    private readonly prefix = "",
  ) {}

  private key(key: string): string {
    if (!isBlobKey(key)) throw new Error(`not a blob key: ${key}`);
    return `${this.prefix}${key}`;
  }

  async put(key: string, body: Buffer): Promise<void> {
    await this.client.send(
      new PutObjectCommand({
        Bucket: this.bucket,
        Key: this.key(key),
        Body: body,
        ContentType: "application/json",
        ServerSideEncryption: "AES256",
      }),
    );
  }

  async get(key: string): Promise<Buffer | null> {
    try {
      const reply = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.key(key) }));
      if (!reply.Body) return null;
      return Buffer.from(await reply.Body.transformToByteArray());
    } catch (error) {
      if (error instanceof NoSuchKey || (error as { name?: string }).name === "NoSuchKey") return null;
      throw error;
    }
  }

  async deleteDaysBefore(day: string): Promise<number> {
    const days = new Set<string>();
    let token: string | undefined;
    do {
      const page = await this.client.send(
        new ListObjectsV2Command({
          Bucket: this.bucket,
          Prefix: this.prefix,
          Delimiter: "/",
          ContinuationToken: token,
        }),
      );
      for (const common of page.CommonPrefixes ?? []) {
        const name = (common.Prefix ?? "").slice(this.prefix.length, -1);
        if (/^\d{4}-\d{2}-\d{2}$/.test(name) && name < day) days.add(name);
      }
      token = page.NextContinuationToken;
    } while (token);
    for (const name of days) await this.deletePrefix(`${this.prefix}${name}/`);
    return days.size;
  }

  private async deletePrefix(prefix: string): Promise<void> {
    let token: string | undefined;
    do {
      const page = await this.client.send(
        new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, ContinuationToken: token }),
      );
      const objects = (page.Contents ?? []).flatMap((object) => (object.Key ? [{ Key: object.Key }] : []));
      if (objects.length > 0) {
        await this.client.send(
          new DeleteObjectsCommand({ Bucket: this.bucket, Delete: { Objects: objects, Quiet: true } }),
        );
      }
      token = page.NextContinuationToken;
    } while (token);
  }
}
