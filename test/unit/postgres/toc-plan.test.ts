/**
 * Planning restores from a dump's table of contents, on `pg_restore --list --verbose` of a real
 * PostgreSQL 15 dump (test/fixtures/toc-partitions-pg15.txt): partitioned tables with keys and
 * partition indexes two levels deep, inheritance, foreign keys (one to a partitioned table), an
 * enum, a domain, trigger functions, a function in a default, and two tables that print alike
 * ("x y" and "x\ny").
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseTocList, type TocEntry } from '../../../src/main/core/postgres/restore';
import { attachedIndexes, indexToc, orderForClean, planTableSelection, tocName, type TargetState } from '../../../src/main/core/postgres/toc-plan';
import { AppError } from '../../../src/shared/errors';
import type { ManifestTable } from '../../../src/shared/manifest';

const TOC = parseTocList(fs.readFileSync(path.join(__dirname, '../../fixtures/toc-partitions-pg15.txt'), 'utf8'));

/** The manifest of that dump (oids as pg_class had them). */
const TABLES: ManifestTable[] = [
  ['public', 'a b ', 16467, 'table'],
  ['public', 'customer', 16397, 'table'],
  ['public', 'film', 16408, 'table'],
  ['public', 'log', 16457, 'table'],
  ['public', 'log_2022', 16462, 'table', { inherits: [{ schema: 'public', name: 'log' }] }],
  ['public', 'log_ref', 17150, 'table'],
  ['public', 'payment', 16420, 'partitioned'],
  ['public', 'payment_p2022_01', 16431, 'table', { partitionOf: { schema: 'public', name: 'payment' } }],
  ['public', 'payment_p2022_02', 16442, 'table', { partitionOf: { schema: 'public', name: 'payment' } }],
  ['public', 'x\ny', 16470, 'table'],
  ['public', 'x y', 16473, 'table'],
  ['sales', 'order_note', 16673, 'table'],
  ['sales', 'orders', 16590, 'partitioned'],
  ['sales', 'orders_default', 16653, 'table'],
  ['sales', 'orders_eu', 16603, 'partitioned'],
  ['sales', 'orders_eu_2022', 16614, 'table'],
  ['sales', 'orders_eu_2023', 16627, 'table'],
  ['sales', 'orders_us', 16640, 'table'],
  ['sales', 'region', 16582, 'table'],
].map(([schema, name, oid, kind, extra]) => ({ schema, name, oid, kind, rows: 1, bytes: 1, ...(extra as object) }) as ManifestTable);

const t = (schema: string, name: string) => ({ schema, name });
const ids = (entries: TocEntry[]) => entries.map((e) => e.id);
const plan = (selected: { schema: string; name: string }[], target: TargetState | null = null, tables = TABLES) => planTableSelection(indexToc(TOC, tables), selected, target);

/** An existing database holding the whole dump (oids of its own). */
function wholeTarget(overrides: Partial<TargetState> = {}): TargetState {
  const relations = TABLES.map((x, i) => ({ oid: 1000 + i, schema: x.schema, name: x.name, relkind: x.kind === 'partitioned' ? 'p' : 'r', partitionOf: null as number | null }));
  const oid = (schema: string, name: string) => relations.find((r) => r.schema === schema && r.name === name)!.oid;
  for (const x of TABLES) if (x.partitionOf) relations.find((r) => r.oid === oid(x.schema, x.name))!.partitionOf = oid(x.partitionOf.schema, x.partitionOf.name);
  for (const [schema, name] of [['public', 'customer_customer_id_seq'], ['public', 'film_film_id_seq'], ['public', 'payment_payment_id_seq'], ['sales', 'orders_id_seq']]) {
    relations.push({ oid: 2000 + relations.length, schema: schema!, name: name!, relkind: 'S', partitionOf: null });
  }
  relations.find((r) => r.name === 'orders_eu_2022')!.partitionOf = oid('sales', 'orders_eu');
  relations.find((r) => r.name === 'orders_eu_2023')!.partitionOf = oid('sales', 'orders_eu');
  for (const name of ['orders_eu', 'orders_us', 'orders_default']) relations.find((r) => r.name === name)!.partitionOf = oid('sales', 'orders');
  const fk = (from: [string, string], to: [string, string], name: string, inherited = false) => ({
    from: oid(...from),
    to: oid(...to),
    inherited,
    name,
    definition: `FOREIGN KEY (x) REFERENCES ${to[0]}.${to[1]}(x)`,
  });
  return {
    relations,
    foreignKeys: [
      fk(['public', 'payment'], ['public', 'customer'], 'payment_customer_id_fkey'),
      fk(['public', 'payment_p2022_01'], ['public', 'customer'], 'payment_customer_id_fkey', true),
      fk(['public', 'payment_p2022_02'], ['public', 'customer'], 'payment_customer_id_fkey', true),
      fk(['public', 'log_ref'], ['public', 'log'], 'log_ref_log_id_fkey'),
      fk(['sales', 'orders'], ['sales', 'region'], 'orders_region_fkey'),
      fk(['sales', 'orders_us'], ['sales', 'region'], 'orders_region_fkey', true),
      fk(['sales', 'order_note'], ['sales', 'orders'], 'order_note_fkey'),
      fk(['sales', 'order_note'], ['sales', 'orders_us'], 'order_note_fkey_1', true),
    ],
    objects: [
      { family: 'schema', schema: null, tag: 'public' },
      { family: 'schema', schema: null, tag: 'sales' },
      { family: 'type', schema: 'public', tag: 'mpaa' },
      { family: 'type', schema: 'public', tag: 'year' },
      { family: 'function', schema: 'public', tag: 'last_updated()' },
      { family: 'function', schema: 'public', tag: 'film_code(text)' },
      { family: 'function', schema: 'sales', tag: 'audit()' },
    ],
    triggers: [
      { relation: oid('public', 'payment_p2022_02'), name: 'payment_audit', enabled: 'O' },
      { relation: oid('public', 'customer'), name: 'customer_lu', enabled: 'A' },
    ],
    ...overrides,
  };
}

describe('parsing the table of contents', () => {
  it('keeps each entry\'s catalog oid, and reads multi-word descs', () => {
    expect(TOC.find((e) => e.id === 226)).toMatchObject({ desc: 'TABLE', tableoid: 1259, oid: 16470, rest: 'public x y postgres' });
    expect(TOC.find((e) => e.id === 3537)).toMatchObject({ desc: 'TABLE DATA', tableoid: 0, oid: 16470 });
    expect(TOC.find((e) => e.id === 3287)?.desc).toBe('TABLE ATTACH');
    expect(TOC.find((e) => e.id === 3358)?.desc).toBe('INDEX ATTACH');
    expect(parseTocList('9; 1259 5 FOREIGN TABLE public ft postgres\n8; 0 0 TEXT SEARCH CONFIGURATION public cfg postgres')).toMatchObject([
      { desc: 'FOREIGN TABLE', rest: 'public ft postgres' },
      { desc: 'TEXT SEARCH CONFIGURATION', rest: 'public cfg postgres' },
    ]);
    expect(tocName('a\nb\rc')).toBe('a b c');
  });
});

describe('a whole dump over an existing database (--clean)', () => {
  const ordered = orderForClean(TOC);
  const at = (id: number) => ordered.findIndex((e) => e.id === id);

  it('puts every attached partition key and index before the ones it is attached to, at every level', () => {
    const attached = attachedIndexes(TOC);
    // payment_p2022_01_pkey → payment_pkey; orders_eu_2022_pkey → orders_eu_pkey and orders_pkey
    expect([...attached.get(3319)!]).toEqual([3315]);
    expect([...attached.get(3339)!].sort()).toEqual([3329, 3334]);
    for (const [child, parents] of attached) for (const parent of parents) expect(at(child), `${child} before ${parent}`).toBeLessThan(at(parent));
  });

  it('keeps every entry, and the dump order for everything else (data in the order it was written)', () => {
    expect(ids(ordered).sort()).toEqual(ids(TOC).sort());
    const moved = new Set([...attachedIndexes(TOC).values()].flatMap((s) => [...s]));
    const rest = (list: TocEntry[]) => ids(list).filter((id) => !moved.has(id));
    expect(rest(ordered)).toEqual(rest(TOC));
    expect(ids(ordered.filter((e) => e.desc === 'TABLE DATA'))).toEqual(ids(TOC.filter((e) => e.desc === 'TABLE DATA')));
  });
});

describe('matching the manifest to the dump', () => {
  it('by oid: two tables that print alike are told apart', () => {
    const index = indexToc(TOC, TABLES);
    expect(index.entryOf.get('public\0x\ny')).toBe(226);
    expect(index.entryOf.get('public\0x y')).toBe(227);
    expect(index.entryOf.get('public\0a b ')).toBe(225);
  });

  it('older manifests (no oids) match by name, and refuse what prints alike', () => {
    const old = TABLES.map(({ oid: _oid, kind: _kind, ...rest }) => rest);
    const index = indexToc(TOC, old);
    expect(index.entryOf.get('public\0a b ')).toBe(225);
    expect(index.entryOf.get('public\0payment_p2022_01')).toBe(221);
    expect(index.entryOf.get('public\0x y')).toBeNull();
    expect(() => plan([t('public', 'x\ny')], null, old)).toThrow(/cannot be told apart/);
    expect(() => plan([t('public', 'nope')], null, old)).toThrow(AppError);
  });
});

describe('a table selection into a new database', () => {
  it('a partitioned table brings its partitions, their data and attached keys; the key to customer needs customer', () => {
    const p = plan([t('public', 'payment')]);
    expect(p.tables.map((x) => [x.name, x.how, x.via?.name ?? null])).toEqual([
      ['payment', 'create', null],
      ['payment_p2022_01', 'create', 'payment'],
      ['payment_p2022_02', 'create', 'payment'],
    ]);
    expect(ids(p.entries)).toEqual(expect.arrayContaining([220, 221, 222, 3287, 3288, 3532, 3533, 3315, 3319, 3322, 3313, 3316, 3317, 3320, 3358, 3359, 3360, 3361, 219, 3555, 3558]));
    expect(ids(p.entries)).not.toContain(3377); // the foreign key to customer
    expect(p.problems).toEqual(['public.payment has a foreign key to public.customer, which is not restored']);
    expect(p.minimalSet).toEqual([t('public', 'payment'), t('public', 'customer')]);
    const both = plan([t('public', 'payment'), t('public', 'customer')]);
    expect(both.problems).toEqual([]);
    expect(ids(both.entries)).toContain(3377);
  });

  it('one partition brings its parent\'s definition (no rows, no sibling), and the parent\'s key to customer still counts', () => {
    const p = plan([t('public', 'payment_p2022_02'), t('public', 'customer')]);
    expect(p.problems).toEqual([]);
    expect(p.definitionsOnly).toEqual([t('public', 'payment')]);
    const list = ids(p.entries);
    expect(list).toEqual(expect.arrayContaining([220, 222, 3288, 3533, 3315, 3322, 3361, 3313, 3320, 3360, 3377]));
    for (const sibling of [221, 3287, 3532, 3319, 3359]) expect(list).not.toContain(sibling);
    expect(plan([t('public', 'payment_p2022_02')]).minimalSet).toEqual([t('public', 'payment_p2022_02'), t('public', 'customer')]);
  });

  it('a table gets its enum, domain, and the functions of its default and trigger, but not other tables using them', () => {
    const p = plan([t('public', 'film')]);
    expect(p.problems).toEqual([]);
    expect(p.objects).toEqual(['TYPE public mpaa', 'DOMAIN public year', 'FUNCTION public film_code(text)', 'FUNCTION public last_updated()']);
    expect(ids(p.entries)).toEqual(expect.arrayContaining([868, 864, 241, 239, 218, 217, 3554, 3296, 3530, 3557, 3312, 3382]));
    expect(ids(p.entries)).not.toContain(3381); // customer's trigger uses the same function
    expect(p.definitionsOnly).toEqual([]);
  });

  it('an inheritance child brings its parent\'s definition; a parent restores alone; a key to it needs it', () => {
    expect(plan([t('public', 'log_2022')])).toMatchObject({ definitionsOnly: [t('public', 'log')], problems: [] });
    expect(plan([t('public', 'log')])).toMatchObject({ definitionsOnly: [], problems: [], tables: [{ name: 'log', own: true }] });
    expect(plan([t('public', 'log_ref')]).minimalSet).toEqual([t('public', 'log_ref'), t('public', 'log')]);
  });

  it('a key to a partitioned table two levels deep: the smallest set is followed through every table it needs', () => {
    const p = plan([t('sales', 'order_note')]);
    expect(p.minimalSet).toEqual([t('sales', 'order_note'), t('sales', 'orders'), t('sales', 'region')]);
    expect(p.problems).toEqual([
      'sales.order_note has a foreign key to sales.orders, which is not restored',
      'sales.orders has a foreign key to sales.region, which is not restored',
    ]);
    const ok = plan(p.minimalSet!);
    expect(ok.problems).toEqual([]);
    expect(ok.tables.map((x) => x.name)).toEqual(['order_note', 'orders', 'orders_default', 'orders_eu', 'orders_eu_2022', 'orders_eu_2023', 'orders_us', 'region']);
    expect(ids(ok.entries)).toEqual(expect.arrayContaining([6, 3366, 3369, 3379, 3378, 3383, 240]));
  });
});

describe('a table selection over an existing database', () => {
  it('a partition that is there is reloaded in place: no definition, its triggers off and back as they were', () => {
    const p = plan([t('public', 'payment_p2022_02')], wholeTarget());
    expect(p.problems).toEqual([]);
    expect(p.tables).toEqual([{ schema: 'public', name: 'payment_p2022_02', own: true, how: 'in-place', via: null }]);
    expect(ids(p.entries)).toEqual([3533]);
    expect(p.prelude).toBe('ALTER TABLE ONLY "public"."payment_p2022_02" DISABLE TRIGGER "payment_audit";\nTRUNCATE TABLE ONLY "public"."payment_p2022_02";\n');
    expect(p.postlude).toBe('ALTER TABLE ONLY "public"."payment_p2022_02" ENABLE TRIGGER "payment_audit";\n');
  });

  it('a partitioned table is emptied as a whole; keys between reloaded tables are dropped and added again', () => {
    const p = plan([t('public', 'payment'), t('public', 'customer')], wholeTarget());
    expect(p.problems).toEqual([]);
    expect(p.prelude).toContain('TRUNCATE TABLE "public"."payment", ONLY "public"."customer";');
    expect(p.prelude).toContain('ALTER TABLE "public"."payment" DROP CONSTRAINT "payment_customer_id_fkey";');
    expect(p.postlude).toContain('ALTER TABLE "public"."payment" ADD CONSTRAINT "payment_customer_id_fkey" FOREIGN KEY (x) REFERENCES public.customer(x);');
    expect(p.postlude).toContain('ALTER TABLE ONLY "public"."customer" ENABLE ALWAYS TRIGGER "customer_lu";');
    // the data in the order it was written: pg_restore reads the dump from a pipe
    expect(ids(p.entries)).toEqual([3528, 3532, 3533]);
  });

  it('a table others reference needs them: the smallest set, or none when the referencing table is not in the backup', () => {
    const p = plan([t('sales', 'region')], wholeTarget());
    expect(p.minimalSet).toEqual([t('sales', 'region'), t('sales', 'orders'), t('sales', 'order_note')]);
    expect(p.problems[0]).toBe('sales.orders has a foreign key to sales.region, which is emptied and reloaded: it must be restored with it');
    const state = wholeTarget();
    state.relations.push({ oid: 5000, schema: 'public', name: 'audit', relkind: 'r', partitionOf: null });
    state.foreignKeys.push({ from: 5000, to: state.relations.find((r) => r.name === 'customer')!.oid, inherited: false, name: 'a', definition: '' });
    const blocked = plan([t('public', 'customer'), t('public', 'payment')], state);
    expect(blocked.minimalSet).toBeNull();
    expect(blocked.problems.join(' ')).toContain('public.audit is not in the backup');
  });

  it('a table that is not there is created with what the target lacks; a partition under a parent that is there gets no attached keys of its own', () => {
    const state = wholeTarget();
    state.relations = state.relations.filter((r) => r.name !== 'film' && r.name !== 'payment_p2022_02' && r.name !== 'film_film_id_seq');
    state.objects = state.objects.filter((o) => o.tag !== 'film_code(text)');
    const film = plan([t('public', 'film')], state);
    expect(film.tables[0]!.how).toBe('create');
    expect(film.objects).toEqual(['FUNCTION public film_code(text)']);
    expect(ids(film.entries)).toEqual(expect.arrayContaining([241, 218, 217, 3530, 3312, 3382]));
    expect(ids(film.entries)).not.toContain(868);
    const part = plan([t('public', 'payment_p2022_02')], state);
    expect(part.prelude).toBe('');
    expect(ids(part.entries)).toEqual([222, 3288, 3533]);
  });

  it('a table of another kind in the target is refused with no smaller set', () => {
    const state = wholeTarget();
    state.relations.find((r) => r.name === 'log')!.relkind = 'v';
    expect(plan([t('public', 'log')], state)).toMatchObject({ minimalSet: null, problems: [expect.stringContaining('a view in the target')] });
  });
});
