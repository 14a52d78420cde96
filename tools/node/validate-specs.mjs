#!/usr/bin/env node
// Validates every YAML (or JSON) document of each given file against one of svcreg's JSON Schemas,
// independently of the Java loader: ajv (draft 2020-12, strict, with formats) and a YAML 1.2
// parser. Prints one JSON object per line for each document:
//   {"file", "document", "kind", "name", "valid", "errors": [{"path", "line", "column",
//    "keyword", "message"}]}
// "document" counts from 0 over the file's non-empty documents; "path" is the offending field in
// the loader's notation (spec.endpoints[0].port). Exit status: 0 all valid, 1 some invalid,
// 2 usage error or unreadable file.
//
// Usage: node validate-specs.mjs [--schema NAME_OR_FILE] [--schemas DIR] FILE...
//   --schema   the schema to validate against (default svcreg.schema.json, any spec document);
//              a bare name is looked up in the schema directory
//   --schemas  the directory of *.schema.json files (default: api-schema's resources)

import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { LineCounter, parseAllDocuments, isMap, isScalar } from 'yaml';

const here = dirname(fileURLToPath(import.meta.url));
const defaultSchemas = resolve(here, '../../api-schema/src/main/resources/schemas');

function usage(message) {
  process.stderr.write(`validate-specs: ${message}\n`);
  process.stderr.write('usage: node validate-specs.mjs [--schema NAME_OR_FILE] [--schemas DIR] FILE...\n');
  process.exit(2);
}

function parseArgs(argv) {
  const opts = { schema: 'svcreg.schema.json', schemas: defaultSchemas, files: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--schema' || a === '--schemas') {
      if (i + 1 >= argv.length) usage(`${a} needs a value`);
      opts[a.slice(2)] = argv[++i];
    } else if (a === '-h' || a === '--help') {
      usage('validates YAML/JSON documents against svcreg JSON Schemas');
    } else if (a.startsWith('--')) {
      usage(`unknown option ${a}`);
    } else {
      opts.files.push(a);
    }
  }
  if (opts.files.length === 0) usage('no files given');
  return opts;
}

function loadValidator(opts) {
  const ajv = new Ajv2020({ strict: true, allErrors: true });
  addFormats(ajv);
  if (!existsSync(opts.schemas)) usage(`schema directory ${opts.schemas} does not exist`);
  const byFile = new Map();
  for (const name of readdirSync(opts.schemas).filter((n) => n.endsWith('.schema.json')).sort()) {
    const schema = JSON.parse(readFileSync(join(opts.schemas, name), 'utf8'));
    ajv.addSchema(schema);
    byFile.set(name, schema.$id);
  }
  let id = byFile.get(opts.schema);
  if (id === undefined) {
    if (!existsSync(opts.schema)) usage(`no schema ${opts.schema} (in ${opts.schemas} or as a file)`);
    const schema = JSON.parse(readFileSync(opts.schema, 'utf8'));
    if (!ajv.getSchema(schema.$id)) ajv.addSchema(schema);
    id = schema.$id;
  }
  return ajv.getSchema(id);
}

/** JSON pointer -> segments. */
function segments(pointer) {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

/** Segments -> the loader's notation, using the data to tell array indexes from keys. */
function dotted(segs, data) {
  let out = '';
  let node = data;
  for (const s of segs) {
    if (Array.isArray(node)) {
      out += `[${s}]`;
      node = node[Number(s)];
    } else {
      out += out === '' ? s : `.${s}`;
      node = node === null || typeof node !== 'object' ? undefined : node[s];
    }
  }
  return out;
}

/** Position (1-based line and column) of the node at segs, or of the key named last. */
function position(doc, segs, keyName, lineCounter) {
  const path = segs.map((s) => (/^[0-9]+$/.test(s) ? Number(s) : s));
  let node = path.length === 0 ? doc.contents : doc.getIn(path, true);
  let offset = node && node.range ? node.range[0] : undefined;
  if (keyName !== undefined && isMap(node)) {
    const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === keyName);
    if (pair && pair.key.range) offset = pair.key.range[0];
  }
  if (offset === undefined) return { line: 0, column: 0 };
  const { line, col } = lineCounter.linePos(offset);
  return { line, column: col };
}

function describe(err) {
  switch (err.keyword) {
    case 'false schema':
      return 'is not allowed here';
    case 'additionalProperties':
      return 'unknown field';
    case 'required':
      return 'is required';
    case 'uniqueItems':
      return `duplicate of item ${err.params.j}`;
    case 'propertyNames':
      return `invalid name '${err.params.propertyName}'`;
    case 'enum':
      return `must be one of ${err.params.allowedValues.join(' | ')}`;
    default:
      return err.message;
  }
}

function report(doc, data, errors, lineCounter) {
  const out = [];
  for (const err of errors) {
    // an if/then failure is reported again by the keyword that failed inside "then"
    if (err.keyword === 'if') continue;
    const segs = segments(err.instancePath);
    const extra =
      err.params.additionalProperty ??
      err.params.missingProperty ??
      err.params.propertyName ??
      err.propertyName;
    let fieldSegs = extra === undefined ? segs : [...segs, extra];
    // a duplicate is reported at the later of the two items
    if (err.keyword === 'uniqueItems') fieldSegs = [...segs, String(err.params.i)];
    const keyName = err.params.additionalProperty ?? err.params.propertyName ?? err.propertyName;
    const where = position(doc, err.keyword === 'uniqueItems' ? fieldSegs : segs, keyName, lineCounter);
    out.push({
      path: dotted(fieldSegs, data),
      line: where.line,
      column: where.column,
      keyword: err.keyword,
      message: describe(err),
    });
  }
  return out;
}

function validateFile(file, validate) {
  let text;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    process.stderr.write(`validate-specs: cannot read ${file}: ${e.message}\n`);
    return null;
  }
  const lineCounter = new LineCounter();
  const docs = parseAllDocuments(text, { version: '1.2', lineCounter, prettyErrors: true });
  const results = [];
  let index = 0;
  for (const doc of Array.isArray(docs) ? docs : [docs]) {
    // an empty document (e.g. after a trailing ---, or only comments) declares nothing
    if (doc.errors.length === 0 && (doc.contents === null || doc.toJS() === null)) continue;
    const result = { file, document: index++ };
    if (doc.errors.length > 0) {
      results.push({
        ...result,
        valid: false,
        errors: doc.errors.map((e) => ({
          path: '',
          line: e.linePos ? e.linePos[0].line : 0,
          column: e.linePos ? e.linePos[0].col : 0,
          keyword: 'yaml',
          message: e.message.split('\n')[0].replace(/ at line [0-9]+, column [0-9]+:?$/, ''),
        })),
      });
      continue;
    }
    const data = doc.toJS({ maxAliasCount: 100 });
    if (data && typeof data === 'object') {
      if (typeof data.kind === 'string') result.kind = data.kind;
      if (data.metadata && typeof data.metadata.name === 'string') result.name = data.metadata.name;
    }
    const valid = validate(data);
    results.push({ ...result, valid, errors: valid ? [] : report(doc, data, validate.errors, lineCounter) });
  }
  return results;
}

const opts = parseArgs(process.argv.slice(2));
let validate;
try {
  validate = loadValidator(opts);
} catch (e) {
  process.stderr.write(`validate-specs: invalid schema: ${e.message}\n`);
  process.exit(2);
}
let status = 0;
for (const file of opts.files) {
  const results = validateFile(file, validate);
  if (results === null) {
    status = 2;
    continue;
  }
  for (const r of results) {
    process.stdout.write(JSON.stringify(r) + '\n');
    if (!r.valid && status === 0) status = 1;
  }
}
process.exit(status);
