/**
 * A folder's index (manifest format 3): one JSON record per item, in walk order, appended to a
 * scratch file as the items go by and stored as one compressed entry once the folder is done.
 * However many files a folder holds, only the record being written is in memory.
 */
import type { FolderIndexRecord } from '../../../shared/manifest';
import { Spool } from '../archive/spool';
import type { AddedEntry, ArchiveWriter } from '../archive/writer';

export class FolderIndexWriter {
  /** records written so far */
  records = 0;

  private constructor(private readonly spool: Spool) {}

  /** An empty index whose scratch file is in `dir` (the destination, which has the room). */
  static async create(dir: string): Promise<FolderIndexWriter> {
    return new FolderIndexWriter(await Spool.create(dir));
  }

  /** Appends `record`; returns a promise only when it had to wait for a write (most records do not). */
  add(record: FolderIndexRecord): Promise<void> | void {
    const line = `${JSON.stringify(record)}\n`;
    this.records++;
    if (!this.spool.tryAppendText(line)) return this.spool.appendText(line);
  }

  /** Stores the index as the entry `name`. */
  async writeInto(writer: ArchiveWriter, name: string): Promise<AddedEntry & { name: string }> {
    const added = await writer.addSpooled(name, this.spool);
    return { ...added, name };
  }

  async close(): Promise<void> {
    await this.spool.close();
  }
}
