import type { EaselClient } from "../../node.js";
import { UsageError } from "../config.js";
import type { Flags } from "../flags.js";
import { print, table, timestamp } from "../output.js";

export async function keys(easel: EaselClient, action: string | undefined, id: string | undefined, flags: Flags): Promise<number> {
  if (action === "create") {
    if (!flags.owner) throw new UsageError("--owner is required: the tenant whose jobs the key sees");
    const created = await easel.keys.create({ owner: flags.owner, ...(flags.name ? { name: flags.name } : {}), ...(flags.expires ? { expiresAt: flags.expires } : {}) });
    if (flags.json) print(created);
    else console.log(`${created.id} for ${created.owner} (shown once, keep it now):\n${created.key}`);
    return 0;
  }
  if (action === "list") {
    const { keys: found } = await easel.keys.list(flags.owner ? { owner: flags.owner, limit: 100 } : { limit: 100 });
    if (flags.json) print(found);
    else console.log(table(["id", "owner", "name", "prefix", "created", "expires", "revoked"], found.map((key) => [
      key.id, key.owner, key.name ?? "", `${key.prefix}…`, timestamp(key.createdAt), timestamp(key.expiresAt), timestamp(key.revokedAt),
    ])));
    return 0;
  }
  if (action === "revoke") {
    if (!id) throw new UsageError("which key? give its id (easel keys list)");
    const revoked = await easel.keys.revoke(id);
    console.log(`${revoked.id} revoked at ${revoked.revokedAt}`);
    return 0;
  }
  throw new UsageError("keys what? create, list or revoke ID");
}

/** The storage figures by job type: how many images are S3-only, and image bytes in D1 (0). */
export async function storageReport(easel: EaselClient, flags: Flags): Promise<number> {
  const report = await easel.reports.storage();
  if (flags.json) {
    print(report);
    return 0;
  }
  const rows = [["all", report.overall] as const, ...Object.entries(report.byType)].map(([type, figures]) => [
    type, figures.images, figures.s3Only, `${figures.rate}%`, figures.bytesInD1, figures.metadataBytesPerImage,
  ]);
  console.log(table(["job type", "images", "S3-only", "rate", "image bytes in D1", "metadata bytes/image"], rows));
  return 0;
}

export async function webhooks(easel: EaselClient, action: string | undefined, flags: Flags): Promise<number> {
  if (action !== "secret") throw new UsageError("webhooks what? secret [--rotate]");
  console.log(flags.rotate ? await easel.webhooks.rotateSecret() : await easel.webhooks.secret());
  return 0;
}
